<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
<context>
    <name>@default</name>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="42"/>
        <source>Model file (or choose an IGN model below)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="47"/>
        <source>IGN model (downloaded on first use; on this computer: {names})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="47"/>
        <source>none yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="72"/>
        <source>Choose a model: a model file, or one of IGN&apos;s published models (downloaded on first use)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="78"/>
        <source>Downloading {name} ({size} MB) into {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/plugin.py" line="49"/>
        <source>FLAIR land cover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/plugin.py" line="49"/>
        <source>segmentation and training need Python packages (PyTorch...) that QGIS does not have yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/plugin.py" line="52"/>
        <source>Install them…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ApplyStyleAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="40"/>
        <source>Apply FLAIR land-cover style</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="41"/>
        <source>Styles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="44"/>
        <source>Styles a raster of land-cover classes with the official FLAIR colours and class names, so the legend reads building, water, coniferous...

&lt;b&gt;Input&lt;/b&gt;: a prediction or an MSK_*.tif annotation; &lt;b&gt;Band&lt;/b&gt;: the band holding the class values.
&lt;b&gt;Class scheme&lt;/b&gt;: what the values mean. flair19: FLAIR codes 1..19 (FLAIR annotations and this plugin&apos;s predictions); baseline13: 0..12, the 13-class baseline of FLAIR-1/FLAIR-2 (12 = other); flairhub: 0..18 in FLAIR-HUB&apos;s order; flair19-index: 0..18 = code - 1, as the official FLAIR-1 zone detection writes.

A style file &lt;i&gt;raster&lt;/i&gt;.qml is written beside the raster, so the raster opens styled in any QGIS, also after qgis_process. A .qml you made yourself is never replaced unless you tick the advanced option.
Values that the scheme does not know are named in the log; if no value fits, the algorithm stops and suggests the scheme that fits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="61"/>
        <source>Land-cover raster (prediction or MSK_ annotation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="63"/>
        <source>Band holding the classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="67"/>
        <source>Styled raster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="72"/>
        <source>The input is not a raster QGIS can open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="79"/>
        <source>{layer} is not a raster file (provider {provider}); save it as a GeoTIFF first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="86"/>
        <source>Reading the class values of band {band} of {path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="94"/>
        <source>Wrote the style {sidecar} ({scheme}, {classes} classes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="135"/>
        <source>{sidecar} already exists and was not written by FLAIR Land Cover, so it is kept. Move it away, or tick &apos;Replace an existing .qml style&apos; (REPLACE_STYLE=true) to replace it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="140"/>
        <source>Cannot write the style file in {folder} (no write permission). Copy the raster to a folder you can write to.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="150"/>
        <source>{total} pixels with data; classes present: {names}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="150"/>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="155"/>
        <source> The values fit the scheme(s): {schemes}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="155"/>
        <source> No FLAIR scheme has these values: is this a class raster?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="158"/>
        <source>{value} ({count} pixels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="161"/>
        <source>None of the raster&apos;s values belongs to scheme {scheme} ({low}..{high}): found {listed}.{hint}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="165"/>
        <source>Values outside scheme {scheme} stay transparent: {listed}.{hint}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CompareAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="32"/>
        <source>Compare layer over layer (group and map themes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="34"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="37"/>
        <source>Loads the imagery, the prediction, the annotation (raster or polygons) and the errors layer of an evaluation as one layer group, with a map theme each: &apos;Imagery&apos;, &apos;Prediction&apos;, &apos;Annotation&apos;, &apos;Errors&apos; (each over the imagery). Switching between them is one click in the map themes button of the Layers panel. Class rasters without a style get the FLAIR colours; annotation polygons are coloured by class when their class field is given (through the mapping table when it is not a FLAIR code).
Optionally writes the same as a project file (.qgz), e.g. from qgis_process.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="49"/>
        <source>Imagery (orthophoto)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="51"/>
        <source>Prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="53"/>
        <source>Annotation (raster or polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="55"/>
        <source>Class field of annotation polygons (to colour them by class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="59"/>
        <source>Mapping table of that field (CSV: value, FLAIR code)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="62"/>
        <source>Errors (from the evaluation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="64"/>
        <source>Group name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="66"/>
        <source>Also save as a project file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="66"/>
        <source>QGIS projects (*.qgz)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="70"/>
        <source>Map themes created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="99"/>
        <source>{path}: a project file ends in .qgz or .qgs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="118"/>
        <source>{layer}: its file is not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="131"/>
        <source>Could not write the project {path}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="134"/>
        <source>Map themes: {themes}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DownloadModelAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="21"/>
        <source>Download an IGN FLAIR model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="22"/>
        <source>Set-up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="25"/>
        <source>Downloads one of the models IGN publishes on Hugging Face (huggingface.co/IGNF) into this QGIS profile, where the segmentation algorithms find it by name. They download a model on first use anyway: do it here ahead, e.g. before working offline.

An interrupted download resumes where it stopped; the file is checked against the published checksum. QGIS&apos;s proxy settings are used. The environment variable FLAIR_MODELS_DIR names a folder shared by a team instead.
Offline, the log gives the exact address to fetch with a browser and where to put the file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="39"/>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="46"/>
        <source>Model file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="55"/>
        <source>{name} is already on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="59"/>
        <source>{name}: {path} ({inputs}; {classes}; {score}; licence {licence})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EvaluateAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="63"/>
        <source>Evaluate land cover against annotations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="65"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="71"/>
        <source>Compares a land-cover raster (a prediction) with a reference pixel by pixel, over rasters of any size, over an extent or an &lt;b&gt;area of interest&lt;/b&gt; (polygons: a commune, a mask layer). The reference is a raster (FLAIR MSK_*.tif annotations) or &lt;b&gt;polygons&lt;/b&gt; (your photo-interpretation): choose the field holding the class and, when it is not a FLAIR code, a mapping table (CSV or table layer: first column your value, second column the FLAIR code 1..19 or class name; an empty code leaves the value out). Polygons in any CRS are burnt on the prediction&apos;s grid block by block; overlapping polygons of different classes and unmapped values are reported, not compared.

&lt;b&gt;What the prediction&apos;s values mean&lt;/b&gt;: FLAIR codes 1..19 for this plugin&apos;s predictions; flair19-index for 0-based FLAIR-1 zone detection, flairhub for FLAIR-HUB. A wrong choice is detected and the scheme that fits is named.
&lt;b&gt;Report the scores in&lt;/b&gt;: the classes the scores are given in. flair19 scores FLAIR codes with FLAIR-1&apos;s convention (clear cut, mixed, ligneous and other leave the scores); baseline13 groups codes 13..19 into &apos;other&apos; and leaves it out, as FLAIR-1/2 baselines do.
For one area the headline mIoU is over the classes present; FLAIR&apos;s convention (absent classes count 0, for whole test sets) is shown beside it. Areas are in hectares.
The reference is read on the prediction&apos;s grid (nearest neighbour) when grids or CRS differ. No data in either raster, and 0 in a prediction, are not scored. A class present in neither raster has no IoU: the report says so.

&lt;b&gt;Outputs&lt;/b&gt;: an HTML report (confusion matrix, IoU per class, areas, settings), the metrics as JSON (and CSV beside it); layers to lay over the imagery: &lt;b&gt;errors&lt;/b&gt; (correct pixels transparent, wrong ones in the colour of the predicted class) and &lt;b&gt;confusion&lt;/b&gt; (one legend entry per &apos;predicted X / annotated Y&apos; pair present, the largest first: untick all but one to see it); &lt;b&gt;error hot spots&lt;/b&gt;: a grid of cells (cell size in map units) with each cell&apos;s error rate and dominant confusion, worst first in the attribute table; and an agreement raster: binary (correct / wrong) or reference (correct, or the reference class where wrong). Then &apos;Compare layer over layer&apos; loads them as map themes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="106"/>
        <source>Land cover to check (prediction)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="108"/>
        <source>Reference raster (annotation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="110"/>
        <source>Or reference polygons (annotation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="113"/>
        <source>Class field of the polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="116"/>
        <source>Mapping table: polygon class value -&gt; FLAIR code (CSV or table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="121"/>
        <source>What the prediction&apos;s values mean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="124"/>
        <source>Report the scores in these classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="126"/>
        <source>Extent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="128"/>
        <source>Area of interest (polygons: a commune, a mask)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="131"/>
        <source>Agreement raster values</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="134"/>
        <source>Prediction band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="136"/>
        <source>Reference band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="139"/>
        <source>What the reference&apos;s values mean (without a mapping table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="143"/>
        <source>Errors (over the imagery: wrong pixels in the predicted class&apos;s colour)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="147"/>
        <source>Confusion (predicted / annotated pairs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="150"/>
        <source>Agreement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="153"/>
        <source>Hot-spot cell size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="156"/>
        <source>Error hot spots (grid, worst cells first)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="217"/>
        <source>The prediction and the reference are the same file: the scores compare a layer with itself. Choose the annotation as reference.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="222"/>
        <source>Agreement ({mode})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="224"/>
        <source>Errors (predicted class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="227"/>
        <source>Confusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="248"/>
        <source>{path}: the hot spots are written as a GeoPackage; give a .gpkg name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="260"/>
        <source>Give one reference: a raster, or polygons with their class field.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="266"/>
        <source>Reference polygons: choose the field that holds each polygon&apos;s class.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="276"/>
        <source>{parameter}: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="291"/>
        <source>{path}: this layer is a GeoTIFF; give a .tif name.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EvaluateModelAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="32"/>
        <source>Evaluate a model on FLAIR patches</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="34"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="38"/>
        <source>Predicts every 512×512 patch of the chosen FLAIR domains whole (one forward pass, as IGN's evaluation does), sums one confusion matrix over all of them and reports FLAIR's metrics: how to check a published mIoU, e.g. FLAIR-INC rgbie_15cl on flair#1-test (the default domains).

&lt;b&gt;Dataset&lt;/b&gt;: the folder with the patches (IMG_/MSK_ files found by name, any layout). &lt;b&gt;Domains&lt;/b&gt;: comma-separated, D012 = every year of D012; 'all' for every labelled patch. &lt;b&gt;Keep predictions&lt;/b&gt;: a folder to keep the predicted patches in, to look at them in QGIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="50"/>
        <source>Model (checkpoint file)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="52"/>
        <source>FLAIR dataset folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="55"/>
        <source>Domains</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="58"/>
        <source>Report the scores in these classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="61"/>
        <source>Patches per batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="64"/>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="66"/>
        <source>Keep the predicted patches in</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlairAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="48"/>
        <source>stopped on request</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="49"/>
        <source>Cancelled: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="349"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="350"/>
        <source>HTML files (*.html)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="351"/>
        <source>Metrics (JSON; a CSV is written beside it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="352"/>
        <source>JSON files (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="353"/>
        <source>mIoU (FLAIR convention)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="354"/>
        <source>mIoU over the classes present in either raster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="19"/>
        <source>FLAIR models (*.safetensors *.pth *.ckpt);;Our format (*.safetensors);;FLAIR-INC weights (*.pth);;FLAIR-1 Lightning (*.ckpt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="33"/>
        <source>Class scheme of the raster values</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="46"/>
        <source>Band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="57"/>
        <source>Replace an existing .qml style that FLAIR Land Cover did not write</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="87"/>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="124"/>
        <source>The mapping table could not be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="128"/>
        <source>mapping table {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="45"/>
        <source>auto: the NVIDIA GPU when PyTorch sees one, else the CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="49"/>
        <source>auto: bf16 on a CPU with bf16 instructions (AVX-512 BF16, AMX) and on recent GPUs, fp16 on older GPUs, fp32 elsewhere, checked against fp32 on the first tile; fp16 needs a CUDA GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="55"/>
        <source>what computes the model on a CPU: auto = torch in bf16, ONNX Runtime (else OpenVINO) in fp32; onnx = ONNX Runtime, openvino = OpenVINO (the model is exported once and cached); torch on a GPU and for models with inputs besides the imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="73"/>
        <source>crop: keep each tile&apos;s centre, as IGN&apos;s zone detection does; hann/gaussian: weighted average of the overlapping tiles&apos; probabilities (fewer seams, more compute)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="79"/>
        <source>how tiles are filled beyond the raster&apos;s edge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="83"/>
        <source>all: leave a pixel as no data where all the bands read from one input are no data (a nodata value of 0 then keeps the pixels where only the elevation is 0); any: where any band is</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="106"/>
        <source>output pixels per tile, a multiple of 32 (default: the model&apos;s and the device&apos;s: for a U-Net {block_cpu} on a CPU, {block} on a GPU; {utt_block} for a U-T&amp;T)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="110"/>
        <source>context added on each side of a block, a multiple of 32 (default: the model&apos;s and the device&apos;s: for a U-Net {halo_cpu} on a CPU, {halo} on a GPU; {utt_halo} for a U-T&amp;T); more halo = fewer seams, more compute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="123"/>
        <source>tiles per forward pass (default {batch_cuda} on CUDA, {batch_cpu} on CPU)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="126"/>
        <source>threads reading the rasters (default {readers_cuda} on CUDA, {readers_cpu} on CPU)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="156"/>
        <source>output tiles follow the input tiles; or give a side in pixels for a regular grid (a single mosaic as input: {catalogue_tile_size})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="166"/>
        <source>binary: correct / wrong; reference: correct, or the reference class where wrong</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="185"/>
        <source>unet: aerial only (FLAIR-1); utt: aerial + Sentinel-2 series (FLAIR-2&apos;s U-T&amp;T, needs the SEN2_sp_* files and flair-2_centroids_sp_to_patch.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="191"/>
        <source>classes learnt: 15cl = FLAIR-1 main / FLAIR-INC (clear cut, mixed, ligneous and other ignored), 19cl all, 12cl the first 12, baseline13 the 13-class baseline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="197"/>
        <source>input bands: R,G,B (+ near-infrared, + elevation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="200"/>
        <source>sgd (momentum 0.9), as FLAIR-1; or adamw</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="205"/>
        <source>learning rate (default: {lr_sgd:g} with sgd, {lr_adamw:g} with adamw)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="208"/>
        <source>plateau: halve the learning rate after 10 epochs without a better validation mIoU; cosine: cosine decay; none: constant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="213"/>
        <source>16-mixed needs a CUDA GPU; bf16-mixed works on recent GPUs and CPUs</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FlairProvider</name>
    <message>
        <location filename="../flair_plugin/provider.py" line="23"/>
        <source>FLAIR land cover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/provider.py" line="26"/>
        <source>FLAIR land cover (IGN FLAIR models for aerial imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/provider.py" line="46"/>
        <source>Could not read the workflow {path}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>InstallPackagesAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="39"/>
        <source>Install the Python packages FLAIR needs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="41"/>
        <source>Set-up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="44"/>
        <source>Downloads and installs the Python packages that segmentation and training need (PyTorch, segmentation-models-pytorch, rasterio...) into a folder of this plugin&apos;s own in your QGIS profile. Nothing of QGIS or of your system is changed: deleting that folder undoes it. Cancel leaves everything as it was.

&lt;b&gt;PyTorch build&lt;/b&gt;: auto takes the small CPU build when the computer has no NVIDIA graphics card, the CUDA build otherwise.
QGIS&apos;s proxy settings are used. Offline: give a folder of downloaded wheel files (advanced), or an index of your organisation.
When an older copy of a package is already loaded, the log says to restart QGIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="57"/>
        <source>Packages for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="60"/>
        <source>PyTorch build</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="63"/>
        <source>Package index URL (empty = PyPI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="65"/>
        <source>Folder of wheel files (offline install)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="68"/>
        <source>Package folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="69"/>
        <source>QGIS must restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="91"/>
        <source>Installed {names} into {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="94"/>
        <source>Restart QGIS: an older copy of a package is loaded in this session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="97"/>
        <source>Ready: no restart needed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LowConfidenceAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="24"/>
        <source>Low-confidence regions (where to check first)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="26"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="30"/>
        <source>Turns the confidence raster of a segmentation (its &apos;Confidence&apos; output: the winning class&apos;s probability) into polygons of the connected regions where the model was unsure: below the threshold, and at least the minimum area (isolated pixels along class edges are left out). Each region has its area in hectares and its mean confidence; the largest come first in the attribute table.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="39"/>
        <source>Confidence raster (from the segmentation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="41"/>
        <source>Unsure below this confidence (0..1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="46"/>
        <source>Minimum region area (m²)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="50"/>
        <source>Low-confidence regions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="60"/>
        <source>confidence: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="70"/>
        <source>{n} regions ({ha:.2f} ha); {d} smaller ones left out</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PolygonStatisticsAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="37"/>
        <source>Land cover per polygon (parcels, annotation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="39"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="43"/>
        <source>For every polygon of a layer (parcels, a photo-interpreter&apos;s annotation, communes), in any CRS: the hectares of each predicted class inside it, the majority class and its share.

With a &lt;b&gt;class field&lt;/b&gt; (FLAIR codes, or any nomenclature through a mapping table: CSV or table layer, first column your value, second the FLAIR code or class name), also the &lt;b&gt;agreement&lt;/b&gt;: the share of the polygon predicted as its own class. The output is sorted worst agreement first (largest polygons first without a class field), so the parcels that disagree open first in the attribute table, and styled by agreement.
A pixel under two polygons is counted for one of them; the log says how many.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="57"/>
        <source>Land cover (prediction)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="59"/>
        <source>Polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="61"/>
        <source>Class field of the polygons (for the agreement)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="64"/>
        <source>Mapping table: polygon class value -&gt; FLAIR code (CSV or table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="68"/>
        <source>What the prediction&apos;s values mean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="70"/>
        <source>Prediction band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="73"/>
        <source>What the class field&apos;s values mean (without a mapping table)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="76"/>
        <source>Statistics per polygon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="86"/>
        <source>prediction: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="90"/>
        <source>{path}: the statistics are written as a GeoPackage; give a .gpkg name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="106"/>
        <source>{n} polygons, {m} over the prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="109"/>
        <source>agreement, area-weighted: {a:.1f} %</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SegmentAerialAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="69"/>
        <source>Land cover from aerial imagery (U-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="203"/>
        <source>Land cover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="76"/>
        <source>Maps the FLAIR land-cover classes (building, impervious surface, water, coniferous, vineyard...) on an aerial orthophoto at about 0.2 m with a FLAIR U-Net, tile by tile, so rasters of any size work.

&lt;b&gt;Imagery&lt;/b&gt;: a raster with red, green, blue (and for 4- or 5-band models near-infrared and elevation). IGN ships BD ORTHO RGB, IRC and elevation separately: give the IRC raster as &lt;i&gt;Near-infrared layer&lt;/i&gt; (infrared is its band 1) and the elevation (height above ground, 1 unit = 0.2 m as in FLAIR) as &lt;i&gt;Elevation layer&lt;/i&gt;; they are resampled on the fly onto the imagery&apos;s pixel grid.
&lt;b&gt;Model&lt;/b&gt;: a checkpoint of this plugin (.safetensors), a FLAIR-INC .pth exactly as published by IGN on Hugging Face, or a FLAIR-1 .ckpt. The model says which bands it needs; the band numbers say where to find them.
&lt;b&gt;Extent&lt;/b&gt;: only this area (any CRS).
&lt;b&gt;Output&lt;/b&gt;: a GeoTIFF of FLAIR codes 1..19 (0 = no data) on the imagery&apos;s grid, styled with the FLAIR colours (a .qml is written beside it). Optional: one band of probability per class (0..255) and the confidence of the chosen class (0..255).

Advanced: &lt;i&gt;block&lt;/i&gt; = output pixels per tile, &lt;i&gt;halo&lt;/i&gt; = context added on each side (multiples of 32; more halo = fewer seams, more compute); &lt;i&gt;blend&lt;/i&gt; crop keeps each tile&apos;s centre like IGN&apos;s zone detection, hann/gaussian average overlapping probabilities; &lt;i&gt;batch&lt;/i&gt; tiles per forward pass; &lt;i&gt;reader threads&lt;/i&gt;; &lt;i&gt;device&lt;/i&gt;, &lt;i&gt;precision&lt;/i&gt; and &lt;i&gt;runtime&lt;/i&gt; (automatic: bf16 where the processor or GPU computes it natively, ONNX Runtime or OpenVINO on a CPU when installed, each checked against fp32 on the first tile).

&lt;b&gt;Models trained with FLAIR-1&apos;s aerial metadata&lt;/b&gt; (a FLAIR-1 .ckpt with the metadata MLP) also need the flight&apos;s &lt;i&gt;acquisition date&lt;/i&gt; (YYYY-MM-DD), &lt;i&gt;time&lt;/i&gt; (HHhMM), &lt;i&gt;camera&lt;/i&gt; and the area&apos;s &lt;i&gt;ground altitude&lt;/i&gt; (m), in the advanced parameters; each tile&apos;s position is taken from the imagery. Or tick &lt;i&gt;Run without the model&apos;s metadata branch&lt;/i&gt;, as IGN&apos;s zone detection does. Other models ignore these parameters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="110"/>
        <source>Extent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="112"/>
        <source>Area of interest (polygons: a commune, a mask); outside it the output is no data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="123"/>
        <source>Acquisition date (YYYY-MM-DD), for models trained with aerial metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="123"/>
        <source>Acquisition time (HHhMM, e.g. 10h35), for models trained with aerial metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="123"/>
        <source>Camera (e.g. UCE-M3-f120), for models trained with aerial metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="132"/>
        <source>Ground altitude (m), for models trained with aerial metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="136"/>
        <source>Run without the model&apos;s metadata branch (as IGN&apos;s zone detection)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="141"/>
        <source>Aerial imagery (RGB, or a FLAIR 5-band R,G,B,NIR,elevation raster)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="144"/>
        <source>Near-infrared layer (e.g. BD ORTHO IRC), if not in the imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="147"/>
        <source>Elevation layer (height above ground), if not in the imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="150"/>
        <source>Red band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="150"/>
        <source>Green band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="150"/>
        <source>Blue band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="154"/>
        <source>Near-infrared band (default: 1 of the near-infrared layer, else 4 of the imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="157"/>
        <source>Elevation band (default: 1 of the elevation layer, else 5 of the imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="164"/>
        <source>Output block size (pixels, multiple of 32; empty = automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="164"/>
        <source>Halo around each block (pixels, multiple of 32; empty = automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="173"/>
        <source>Blending of overlapping tiles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="175"/>
        <source>Tiles per batch (0 = automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="175"/>
        <source>Reader threads (0 = automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="183"/>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="185"/>
        <source>Runtime on a CPU (auto, torch, ONNX Runtime, OpenVINO)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="205"/>
        <source>Class probabilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="208"/>
        <source>Confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="241"/>
        <source>Device {device} ({runtime} {precision}), batch {batch}, block {block} halo {halo}; {done} tiles computed, {skipped} skipped (no data); {width}x{height} px in {seconds:.1f} s = {speed:.2f} Mpx/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="275"/>
        <source>{layer} is not a raster file (provider {provider}): save it as a GeoTIFF (Export &gt; Save As...) and use that file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="296"/>
        <source>The model needs bands this algorithm cannot provide: {bands}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="321"/>
        <source>The area of interest does not overlap the extent.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="332"/>
        <source>{path}: outputs are written as GeoTIFF; give a .tif file name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="339"/>
        <source>{name} &lt;- {file} band {band}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="342"/>
        <source>Model: {architecture} {encoder}, {classes} classes, trained at {pixel} m. Bands: {bands}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SegmentCatalogueAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="42"/>
        <source>Land cover from a folder of aerial tiles (U-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="46"/>
        <source>Maps the FLAIR land-cover classes over a whole folder of orthophoto tiles, such as a BD ORTHO delivery (5 km tiles, GeoTIFF or JPEG 2000, searched in sub-folders).

The tiles are read as one mosaic: each output tile gets its context from the neighbouring tiles, so the result is exactly that of one run over the whole mosaic, without seams at the tile edges.
&lt;b&gt;Imagery&lt;/b&gt;: the folder of tiles (red, green, blue, and for 4- or 5-band models near-infrared and elevation). BD ORTHO IRC and elevation tiles, delivered separately, go in their own folders; the band numbers say where each band is.
&lt;b&gt;Output folder&lt;/b&gt;: one land-cover tile per input tile (tiles/), a manifest of the finished tiles, and the mosaic &lt;i&gt;landcover.vrt&lt;/i&gt; with overviews and the FLAIR style, loaded when the run ends.
&lt;b&gt;Resume&lt;/b&gt;: cancel at any time; run again with the same folder and settings to compute only the missing tiles. A folder holding a run with other settings is refused.

Inside QGIS the tiles are computed one after another; for several GPUs or a cluster, run the flair-landcover catalogue command (Ray, SLURM) and open its landcover.vrt here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="67"/>
        <source>Folder of imagery tiles (RGB, or R,G,B,NIR,elevation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="70"/>
        <source>Folder of near-infrared tiles (e.g. BD ORTHO IRC), if not in the imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="70"/>
        <source>Folder of elevation tiles, if not in the imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="77"/>
        <source>Red band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="77"/>
        <source>Green band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="77"/>
        <source>Blue band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="82"/>
        <source>Near-infrared band (default: 1 of the near-infrared tiles, else 4 of the imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="82"/>
        <source>Elevation band (default: 1 of the elevation tiles, else 5 of the imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="90"/>
        <source>Output tile size (pixels; empty = one per input tile)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="97"/>
        <source>Output folder (run again into it to resume)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="137"/>
        <source>Land cover</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="100"/>
        <source>Tiles computed by this run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="102"/>
        <source>Tiles finished by earlier runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="122"/>
        <source>{computed} tiles computed, {reused} finished by earlier runs, {retries} retried; {seconds:.1f} s, {speed:.2f} Mpx/s; mosaic: {mosaic}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="163"/>
        <source>The model needs bands this algorithm cannot provide: {bands}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SegmentMultimodalAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="36"/>
        <source>Land cover from aerial imagery and Sentinel-2 (U-T&amp;T)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="41"/>
        <source>Maps the FLAIR classes with a FLAIR-2 U-T&amp;T model, which sees the aerial orthophoto (0.2 m) and a year of Sentinel-2 images (10 m) around each 512 px aerial tile.

&lt;b&gt;Imagery&lt;/b&gt; and band choices: as in &lt;i&gt;Land cover from aerial imagery&lt;/i&gt;.
&lt;b&gt;Sentinel-2&lt;/b&gt;: either one GeoTIFF per date with the 10 bands B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12 in that order (the date is read from YYYYMMDD in each file name unless a dates file is given), or one GeoTIFF stacking T dates × 10 bands, date after date, with a dates file. All on one grid, covering the whole area; another CRS than the imagery's is reprojected on the fly (nearest).
&lt;b&gt;Dates file&lt;/b&gt;: one date a line (YYYYMMDD, as FLAIR-HUB), in band order.
&lt;b&gt;Cloud/snow masks&lt;/b&gt;: snow and cloud probabilities 0..100, one 2-band file per date or one stack of T × 2 bands; needed by models that drop cloudy dates (as FLAIR-2's). Where every date is cloudy, the least cloudy one is used and a warning says how many tiles were concerned.
&lt;b&gt;Model&lt;/b&gt;: a U-T&amp;T checkpoint (for U-Net models use &lt;i&gt;Land cover from aerial imagery&lt;/i&gt;).
&lt;b&gt;Output&lt;/b&gt;: FLAIR codes (0 = no data) on the imagery's grid, styled. Optional: one band of probability per class (0..255) and the confidence of the chosen class (0..255).

Advanced: &lt;i&gt;block&lt;/i&gt; (512 = FLAIR-2's patch; each block gets the Sentinel-2 series around its centre), &lt;i&gt;halo&lt;/i&gt; = context added on each side (0 as FLAIR-2 by default; multiples of 32), &lt;i&gt;blend&lt;/i&gt; crop keeps each tile's centre, hann/gaussian average overlapping probabilities (give a halo for them to overlap); &lt;i&gt;batch&lt;/i&gt; tiles per forward pass; &lt;i&gt;reader threads&lt;/i&gt;; &lt;i&gt;device&lt;/i&gt; and &lt;i&gt;precision&lt;/i&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="73"/>
        <source>Sentinel-2 (one 10-band raster per date, or one T×10-band stack)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="76"/>
        <source>Dates file (one YYYYMMDD a line; default: dates in the file names)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="76"/>
        <source>Text files (*.txt *.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="80"/>
        <source>Cloud/snow masks (2 bands per date: snow, cloud 0..100)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="88"/>
        <source>Give the Sentinel-2 rasters (one per date, or a stack).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="100"/>
        <source>{layer} is not a raster file: save it as a GeoTIFF and use that file.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="49"/>
        <source>Train a FLAIR model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="50"/>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="54"/>
        <source>Trains a FLAIR U-Net on FLAIR data on your disk (the FLAIR-1/FLAIR-2 download, or your own patches named IMG_&lt;id&gt;.tif / MSK_&lt;id&gt;.tif), or fine-tunes an existing model (this plugin&apos;s, or a FLAIR-INC .pth).

&lt;b&gt;Dataset&lt;/b&gt;: the folder holding the patches, in any layout: files are found by name, the domain (D006_2020...) by folder name. Splits: FLAIR&apos;s official train and validation domains unless you list domains (e.g. D006,D007_2020), or give a CSV of image,mask[,split] pairs.
&lt;b&gt;Classes&lt;/b&gt;: 15cl (FLAIR-INC: clear cut, mixed, ligneous and other ignored), 19cl, 12cl or baseline13. &lt;b&gt;Bands&lt;/b&gt;: rgbie, rgbi or rgb.
Every epoch the log shows the validation mIoU (FLAIR&apos;s convention), and the output folder gets best.flair.safetensors (use it in &apos;Land cover from aerial imagery&apos;), last.flair.safetensors, a resumable state, a CSV log and a PNG of the curves.
Cancel stops at the next step, keeps a resumable state and ends the algorithm as failed (so a model or batch run does not go on with an unfinished model): run again with the same output folder and &apos;Resume&apos; ticked (and as many epochs as you want in total).
&lt;b&gt;Output folder&lt;/b&gt;: left as a temporary folder, the run gets a folder of its own under &apos;FLAIR trainings&apos; beside the saved project (or in your Documents): QGIS deletes its temporary folder when it exits. &apos;Resume&apos; without a folder continues the last run saved there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="81"/>
        <source>Output folder (temporary = a new folder under &apos;FLAIR trainings&apos;, kept)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="85"/>
        <source>Best model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="86"/>
        <source>Last model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="87"/>
        <source>Training log (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="88"/>
        <source>Training curves (PNG)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="89"/>
        <source>Best validation mIoU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="93"/>
        <source>FLAIR dataset folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="96"/>
        <source>Or: CSV of image,mask[,split] pairs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="96"/>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="99"/>
        <source>Training domains (comma-separated; empty = FLAIR&apos;s official)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="102"/>
        <source>Validation domains (empty = FLAIR&apos;s official)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="107"/>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="108"/>
        <source>Classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="110"/>
        <source>Bands</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="111"/>
        <source>Fine-tune from this model (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="111"/>
        <source>FLAIR models (*.safetensors *.pth *.ckpt)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="114"/>
        <source>Resume the run in the output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="116"/>
        <source>Encoder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="118"/>
        <source>Use the aerial metadata (FLAIR-1 MLP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="121"/>
        <source>Re-initialise the last layer when fine-tuning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="126"/>
        <source>Epochs (in total, when resuming)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="129"/>
        <source>Batch size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="133"/>
        <source>Learning rate (0 = the optimiser&apos;s FLAIR default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="138"/>
        <source>Optimiser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="140"/>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="142"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="165"/>
        <source>Nothing to resume: no training run with a saved state in {root}. Give the folder of the run to resume as the output folder, or untick &apos;Resume&apos; to start a new run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="181"/>
        <source>The run&apos;s files (models, log, curves) go to {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="189"/>
        <source>Best validation mIoU {miou:.4f} at epoch {epoch}; {epochs} epoch(s) done</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
