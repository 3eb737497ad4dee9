<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
<context>
    <name>@default</name>
    <message>
        <location filename="../flair_plugin/plugin.py" line="49"/>
        <source>FLAIR land cover</source>
        <translation>Occupation du sol FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/plugin.py" line="49"/>
        <source>segmentation and training need Python packages (PyTorch...) that QGIS does not have yet</source>
        <translation>la segmentation et l'entraînement ont besoin de paquets Python (PyTorch…) que QGIS n'a pas encore</translation>
    </message>
    <message>
        <location filename="../flair_plugin/plugin.py" line="52"/>
        <source>Install them…</source>
        <translation>Les installer…</translation>
    </message>
</context>
<context>
    <name>ApplyStyleAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="40"/>
        <source>Apply FLAIR land-cover style</source>
        <translation>Appliquer le style d'occupation du sol FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="41"/>
        <source>Styles</source>
        <translation>Styles</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="44"/>
        <source>Styles a raster of land-cover classes with the official FLAIR colours and class names, so the legend reads building, water, coniferous...

&lt;b&gt;Input&lt;/b&gt;: a prediction or an MSK_*.tif annotation; &lt;b&gt;Band&lt;/b&gt;: the band holding the class values.
&lt;b&gt;Class scheme&lt;/b&gt;: what the values mean. flair19: FLAIR codes 1..19 (FLAIR annotations and this plugin&apos;s predictions); baseline13: 0..12, the 13-class baseline of FLAIR-1/FLAIR-2 (12 = other); flairhub: 0..18 in FLAIR-HUB&apos;s order; flair19-index: 0..18 = code - 1, as the official FLAIR-1 zone detection writes.

A style file &lt;i&gt;raster&lt;/i&gt;.qml is written beside the raster, so the raster opens styled in any QGIS, also after qgis_process. A .qml you made yourself is never replaced unless you tick the advanced option.
Values that the scheme does not know are named in the log; if no value fits, the algorithm stops and suggests the scheme that fits.</source>
        <translation>Applique à un raster de classes d'occupation du sol les couleurs et les noms de classes officiels de FLAIR : la légende se lit bâtiment, eau, conifère…

&lt;b&gt;Entrée&lt;/b&gt; : une prédiction ou une annotation MSK_*.tif ; &lt;b&gt;Bande&lt;/b&gt; : la bande qui contient les valeurs des classes.
&lt;b&gt;Nomenclature&lt;/b&gt; : ce que signifient les valeurs. flair19 : codes FLAIR 1..19 (annotations FLAIR et prédictions de cette extension) ; baseline13 : 0..12, la référence à 13 classes de FLAIR-1/FLAIR-2 (12 = autre) ; flairhub : 0..18 dans l'ordre de FLAIR-HUB ; flair19-index : 0..18 = code - 1, comme l'écrit la détection par zone officielle de FLAIR-1.

Un fichier de style &lt;i&gt;raster&lt;/i&gt;.qml est écrit à côté du raster : il s'ouvre ainsi stylé dans n'importe quel QGIS, y compris après qgis_process. Un .qml que vous avez fait vous-même n'est jamais remplacé, sauf si vous cochez l'option avancée.
Les valeurs que la nomenclature ne connaît pas sont citées dans le journal ; si aucune valeur ne correspond, l'algorithme s'arrête et propose la nomenclature qui convient.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="61"/>
        <source>Land-cover raster (prediction or MSK_ annotation)</source>
        <translation>Raster d'occupation du sol (prédiction ou annotation MSK_)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="63"/>
        <source>Band holding the classes</source>
        <translation>Bande contenant les classes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="67"/>
        <source>Styled raster</source>
        <translation>Raster stylé</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="72"/>
        <source>The input is not a raster QGIS can open.</source>
        <translation>L'entrée n'est pas un raster que QGIS sait ouvrir.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="79"/>
        <source>{layer} is not a raster file (provider {provider}); save it as a GeoTIFF first.</source>
        <translation>{layer} n'est pas un fichier raster (fournisseur {provider}) ; enregistrez-le d'abord en GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="86"/>
        <source>Reading the class values of band {band} of {path}</source>
        <translation>Lecture des valeurs de classes de la bande {band} de {path}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="94"/>
        <source>Wrote the style {sidecar} ({scheme}, {classes} classes)</source>
        <translation>Style écrit : {sidecar} ({scheme}, {classes} classes)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="135"/>
        <source>{sidecar} already exists and was not written by FLAIR Land Cover, so it is kept. Move it away, or tick &apos;Replace an existing .qml style&apos; (REPLACE_STYLE=true) to replace it.</source>
        <translation>{sidecar} existe déjà et n'a pas été écrit par FLAIR Land Cover : il est conservé. Déplacez-le, ou cochez « Remplacer un style .qml existant » (REPLACE_STYLE=true) pour le remplacer.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="140"/>
        <source>Cannot write the style file in {folder} (no write permission). Copy the raster to a folder you can write to.</source>
        <translation>Impossible d'écrire le fichier de style dans {folder} (pas de droit d'écriture). Copiez le raster dans un dossier où vous pouvez écrire.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="150"/>
        <source>{total} pixels with data; classes present: {names}</source>
        <translation>{total} pixels avec données ; classes présentes : {names}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="150"/>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="155"/>
        <source> The values fit the scheme(s): {schemes}.</source>
        <translation> Les valeurs correspondent à : {schemes}.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="155"/>
        <source> No FLAIR scheme has these values: is this a class raster?</source>
        <translation> Aucune nomenclature FLAIR n'a ces valeurs : est-ce bien un raster de classes ?</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="158"/>
        <source>{value} ({count} pixels)</source>
        <translation>{value} ({count} pixels)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="161"/>
        <source>None of the raster&apos;s values belongs to scheme {scheme} ({low}..{high}): found {listed}.{hint}</source>
        <translation>Aucune des valeurs du raster n'appartient à la nomenclature {scheme} ({low}..{high}) : trouvé {listed}.{hint}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/apply_style.py" line="165"/>
        <source>Values outside scheme {scheme} stay transparent: {listed}.{hint}</source>
        <translation>Les valeurs hors de la nomenclature {scheme} restent transparentes : {listed}.{hint}</translation>
    </message>
</context>
<context>
    <name>CompareAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="32"/>
        <source>Compare layer over layer (group and map themes)</source>
        <translation>Comparer couche sur couche (groupe et thèmes de carte)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="34"/>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="37"/>
        <source>Loads the imagery, the prediction, the annotation (raster or polygons) and the errors layer of an evaluation as one layer group, with a map theme each: &apos;Imagery&apos;, &apos;Prediction&apos;, &apos;Annotation&apos;, &apos;Errors&apos; (each over the imagery). Switching between them is one click in the map themes button of the Layers panel. Class rasters without a style get the FLAIR colours; annotation polygons are coloured by class when their class field is given (through the mapping table when it is not a FLAIR code).
Optionally writes the same as a project file (.qgz), e.g. from qgis_process.</source>
        <translation>Charge l'orthophotographie, la prédiction, l'annotation (raster ou polygones) et la couche des erreurs d'une évaluation dans un groupe de couches, avec un thème de carte pour chacune : « Imagerie », « Prédiction », « Annotation », « Erreurs » (chacune sur l'imagerie). On passe de l'une à l'autre d'un clic sur le bouton des thèmes de carte du panneau Couches. Les rasters de classes sans style reçoivent les couleurs FLAIR ; les polygones d'annotation sont colorés par classe quand leur champ de classe est donné (via la table de correspondance si ce n'est pas un code FLAIR).
Peut aussi écrire le même contenu dans un fichier de projet (.qgz), par exemple depuis qgis_process.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="49"/>
        <source>Imagery (orthophoto)</source>
        <translation>Imagerie (orthophotographie)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="51"/>
        <source>Prediction</source>
        <translation>Prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="53"/>
        <source>Annotation (raster or polygons)</source>
        <translation>Annotation (raster ou polygones)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="55"/>
        <source>Class field of annotation polygons (to colour them by class)</source>
        <translation>Champ de classe des polygones d'annotation (pour les colorer par classe)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="59"/>
        <source>Mapping table of that field (CSV: value, FLAIR code)</source>
        <translation>Table de correspondance de ce champ (CSV : valeur, code FLAIR)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="62"/>
        <source>Errors (from the evaluation)</source>
        <translation>Erreurs (issues de l'évaluation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="64"/>
        <source>Group name</source>
        <translation>Nom du groupe</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="66"/>
        <source>Also save as a project file</source>
        <translation>Enregistrer aussi dans un fichier de projet</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="66"/>
        <source>QGIS projects (*.qgz)</source>
        <translation>Projets QGIS (*.qgz)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="70"/>
        <source>Map themes created</source>
        <translation>Thèmes de carte créés</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="99"/>
        <source>{path}: a project file ends in .qgz or .qgs.</source>
        <translation>{path} : un fichier de projet se termine par .qgz ou .qgs.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="118"/>
        <source>{layer}: its file is not found</source>
        <translation>{layer} : son fichier est introuvable</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="131"/>
        <source>Could not write the project {path}: {error}</source>
        <translation>Impossible d'écrire le projet {path} : {error}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/compare.py" line="134"/>
        <source>Map themes: {themes}</source>
        <translation>Thèmes de carte : {themes}</translation>
    </message>
</context>
<context>
    <name>DownloadModelAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="21"/>
        <source>Download an IGN FLAIR model</source>
        <translation>Télécharger un modèle FLAIR de l'IGN</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="22"/>
        <source>Set-up</source>
        <translation>Installation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="25"/>
        <source>Downloads one of the models IGN publishes on Hugging Face (huggingface.co/IGNF) into this QGIS profile, where the segmentation algorithms find it by name. They download a model on first use anyway: do it here ahead, e.g. before working offline.

An interrupted download resumes where it stopped; the file is checked against the published checksum. QGIS&apos;s proxy settings are used. The environment variable FLAIR_MODELS_DIR names a folder shared by a team instead.
Offline, the log gives the exact address to fetch with a browser and where to put the file.</source>
        <translation>Télécharge l'un des modèles que l'IGN publie sur Hugging Face (huggingface.co/IGNF) dans ce profil QGIS, où les algorithmes de segmentation le trouvent par son nom. Ils téléchargent de toute façon un modèle à sa première utilisation : faites-le ici à l'avance, par exemple avant de travailler hors ligne.

Un téléchargement interrompu reprend là où il s'était arrêté ; le fichier est vérifié avec la somme de contrôle publiée. Les paramètres de proxy de QGIS sont utilisés. La variable d'environnement FLAIR_MODELS_DIR désigne à la place un dossier partagé par une équipe.
Hors ligne, le journal donne l'adresse exacte à ouvrir dans un navigateur et où déposer le fichier.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="38"/>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="44"/>
        <source>Model file</source>
        <translation>Fichier du modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="53"/>
        <source>{name} is already on this computer</source>
        <translation>{name} est déjà sur cet ordinateur</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/download_model.py" line="57"/>
        <source>{name}: {path} ({inputs}; {classes}; {score}; licence {licence})</source>
        <translation>{name} : {path} ({inputs} ; {classes} ; {score} ; licence {licence})</translation>
    </message>
</context>
<context>
    <name>EvaluateAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="64"/>
        <source>Evaluate land cover against annotations</source>
        <translation>Évaluer l'occupation du sol par rapport à des annotations</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="66"/>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="113"/>
        <source>Land cover to check (prediction)</source>
        <translation>Occupation du sol à contrôler (prédiction)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="115"/>
        <source>Reference raster (annotation)</source>
        <translation>Raster de référence (annotation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="120"/>
        <source>Or reference polygons (annotation)</source>
        <translation>Ou polygones de référence (annotation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="123"/>
        <source>Class field of the polygons</source>
        <translation>Champ de classe des polygones</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="126"/>
        <source>Mapping table: polygon class value -&gt; FLAIR code (CSV or table)</source>
        <translation>Table de correspondance : valeur de classe des polygones -&gt; code FLAIR (CSV ou table)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="131"/>
        <source>What the prediction&apos;s values mean</source>
        <translation>Ce que signifient les valeurs de la prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="134"/>
        <source>Report the scores in these classes</source>
        <translation>Exprimer les scores dans ces classes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="136"/>
        <source>Extent</source>
        <translation>Emprise</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="138"/>
        <source>Area of interest (polygons: a commune, a mask)</source>
        <translation>Zone d'intérêt (polygones : une commune, un masque)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="141"/>
        <source>Agreement raster values</source>
        <translation>Valeurs du raster d'accord</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="144"/>
        <source>Prediction band</source>
        <translation>Bande de la prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="146"/>
        <source>Reference band</source>
        <translation>Bande de la référence</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="149"/>
        <source>What the reference&apos;s values mean (without a mapping table)</source>
        <translation>Ce que signifient les valeurs de la référence (sans table de correspondance)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="153"/>
        <source>Errors (over the imagery: wrong pixels in the predicted class&apos;s colour)</source>
        <translation>Erreurs (sur l'imagerie : pixels faux dans la couleur de la classe prédite)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="157"/>
        <source>Confusion (predicted / annotated pairs)</source>
        <translation>Confusion (paires prédit / annoté)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="160"/>
        <source>Agreement</source>
        <translation>Accord</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="163"/>
        <source>Hot-spot cell size</source>
        <translation>Taille des cellules de points chauds</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="166"/>
        <source>Error hot spots (grid, worst cells first)</source>
        <translation>Points chauds d'erreurs (grille, pires cellules d'abord)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="239"/>
        <source>The prediction and the reference are the same file: the scores compare a layer with itself. Choose the annotation as reference.</source>
        <translation>La prédiction et la référence sont le même fichier : les scores compareraient une couche à elle-même. Choisissez l'annotation comme référence.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="245"/>
        <source>Agreement ({mode})</source>
        <translation>Accord ({mode})</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="247"/>
        <source>Errors (predicted class)</source>
        <translation>Erreurs (classe prédite)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="250"/>
        <source>Confusion</source>
        <translation>Confusion</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="271"/>
        <source>{path}: the hot spots are written as a GeoPackage; give a .gpkg name.</source>
        <translation>{path} : les points chauds sont écrits en GeoPackage ; donnez un nom en .gpkg.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="283"/>
        <source>Give one reference: a raster, or polygons with their class field.</source>
        <translation>Donnez une référence : un raster, ou des polygones avec leur champ de classe.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="289"/>
        <source>Reference polygons: choose the field that holds each polygon&apos;s class.</source>
        <translation>Polygones de référence : choisissez le champ qui contient la classe de chaque polygone.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="299"/>
        <source>{parameter}: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation>{parameter} : ce n'est pas un fichier raster ; enregistrez d'abord la couche en GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="314"/>
        <source>{path}: this layer is a GeoTIFF; give a .tif name.</source>
        <translation>{path} : cette couche est un GeoTIFF ; donnez un nom en .tif.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="72"/>
        <source>Compares a land-cover raster (a prediction) with a reference pixel by pixel, over rasters of any size, over an extent or an &lt;b&gt;area of interest&lt;/b&gt; (polygons: a commune, a mask layer). The reference is a raster (FLAIR MSK_*.tif annotations) or &lt;b&gt;polygons&lt;/b&gt; (your photo-interpretation): choose the field holding the class and, when it is not a FLAIR code, a mapping table (CSV or table layer: first column your value, second column the FLAIR code 1..19 or class name; an empty code leaves the value out). Polygons in any CRS are burnt on the prediction&apos;s grid block by block; overlapping polygons of different classes and unmapped values are reported, not compared.

&lt;b&gt;What the prediction&apos;s values mean&lt;/b&gt;: FLAIR codes 1..19 for this plugin&apos;s predictions; flair19-index for 0-based FLAIR-1 zone detection, flairhub for FLAIR-HUB. A wrong choice is detected and the scheme that fits is named.
&lt;b&gt;Report the scores in&lt;/b&gt;: the classes the scores are given in. flair19 scores FLAIR codes with FLAIR-1&apos;s convention (clear cut, mixed, ligneous and other leave the scores); baseline13 groups codes 13..19 into &apos;other&apos; and leaves it out, as FLAIR-1/2 baselines do.
For one area the headline mIoU is over the classes present; FLAIR&apos;s convention (absent classes count 0, for whole test sets) is shown beside it. Areas are in hectares.
The reference is read on the prediction&apos;s grid (nearest neighbour) when grids or CRS differ. No data in either raster, and 0 in a prediction, are not scored. A class present in neither raster has no IoU: the report says so.

&lt;b&gt;Outputs&lt;/b&gt;: an HTML report (confusion matrix, IoU per class, areas, settings), the metrics as JSON (and CSV beside it); layers to lay over the imagery: &lt;b&gt;errors&lt;/b&gt; (correct pixels transparent, wrong ones in the colour of the predicted class) and &lt;b&gt;confusion&lt;/b&gt; (one legend entry per &apos;predicted X / annotated Y&apos; pair present, the largest first: untick all but one to see it); &lt;b&gt;error hot spots&lt;/b&gt;: a grid of cells (cell size in map units) with each cell&apos;s error rate and dominant confusion, worst first in the attribute table; and an agreement raster: binary (correct / wrong) or reference (correct, or the reference class where wrong). Then &apos;Compare layer over layer&apos; loads them as map themes.

&lt;b&gt;Before/after&lt;/b&gt;: give a second land cover as &lt;i&gt;Land cover before&lt;/i&gt; (e.g. the base model&apos;s map, the first one being the fine-tuned model&apos;s): both are scored against the same annotations and the report opens with the IoU gain per class. Both maps are read as &lt;i&gt;What the prediction&apos;s values mean&lt;/i&gt; says, without the check that guesses another scheme (a base model that confuses classes would fool it).</source>
        <translation>Compare pixel à pixel un raster d'occupation du sol (une prédiction) à une référence, sur des rasters de toute taille, sur une emprise ou une &lt;b&gt;zone d'intérêt&lt;/b&gt; (polygones : une commune, une couche de masque). La référence est un raster (annotations FLAIR MSK_*.tif) ou des &lt;b&gt;polygones&lt;/b&gt; (votre photo-interprétation) : choisissez le champ qui contient la classe et, si ce n'est pas un code FLAIR, une table de correspondance (CSV ou couche table : première colonne votre valeur, deuxième colonne le code FLAIR 1..19 ou le nom de classe ; un code vide écarte la valeur). Les polygones, dans n'importe quel SCR, sont rastérisés sur la grille de la prédiction bloc par bloc ; les polygones superposés de classes différentes et les valeurs sans correspondance sont signalés, pas comparés.

&lt;b&gt;Ce que signifient les valeurs de la prédiction&lt;/b&gt; : codes FLAIR 1..19 pour les prédictions de cette extension ; flair19-index pour la détection par zone de FLAIR-1 (à partir de 0), flairhub pour FLAIR-HUB. Un mauvais choix est détecté et la nomenclature qui convient est indiquée.
&lt;b&gt;Exprimer les scores dans&lt;/b&gt; : les classes dans lesquelles les scores sont donnés. flair19 évalue les codes FLAIR selon la convention de FLAIR-1 (coupe, mixte, ligneux et autre sont exclus des scores) ; baseline13 regroupe les codes 13..19 en « autre » et l'exclut, comme les références FLAIR-1/2.
Pour une zone, le mIoU principal porte sur les classes présentes ; la convention de FLAIR (les classes absentes comptent 0, pour des jeux de test entiers) est indiquée à côté. Les surfaces sont en hectares.
La référence est lue sur la grille de la prédiction (plus proche voisin) quand les grilles ou les SCR diffèrent. Les pixels sans donnée dans l'un des rasters, et la valeur 0 d'une prédiction, ne sont pas évalués. Une classe présente dans aucun des deux rasters n'a pas d'IoU : le rapport le dit.

&lt;b&gt;Sorties&lt;/b&gt; : un rapport HTML (matrice de confusion, IoU par classe, surfaces, paramètres), les métriques en JSON (et en CSV à côté) ; des couches à superposer à l'imagerie : &lt;b&gt;erreurs&lt;/b&gt; (pixels justes transparents, pixels faux dans la couleur de la classe prédite) et &lt;b&gt;confusion&lt;/b&gt; (une entrée de légende par paire « prédit X / annoté Y » présente, la plus étendue d'abord : décochez toutes sauf une pour la voir) ; &lt;b&gt;points chauds d'erreurs&lt;/b&gt; : une grille de cellules (taille en unités de la carte) avec le taux d'erreur et la confusion dominante de chaque cellule, les pires d'abord dans la table attributaire ; et un raster d'accord : binaire (juste / faux) ou référence (juste, ou la classe de référence là où c'est faux). Ensuite, « Comparer couche sur couche » les charge comme thèmes de carte.

&lt;b&gt;Avant/après&lt;/b&gt; : donnez une seconde occupation du sol comme &lt;i&gt;Occupation du sol avant&lt;/i&gt; (p. ex. la carte du modèle de base, la première étant celle du modèle affiné) : les deux sont évaluées sur les mêmes annotations et le rapport commence par le gain d'IoU par classe. Les deux cartes sont lues comme l'indique &lt;i&gt;Ce que signifient les valeurs de la prédiction&lt;/i&gt;, sans la vérification qui devine une autre nomenclature (un modèle de base qui confond des classes la tromperait).</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="117"/>
        <source>Land cover before (e.g. the base model&apos;s map): the report shows the IoU gain per class</source>
        <translation>Occupation du sol avant (p. ex. la carte du modèle de base) : le rapport montre le gain d'IoU par classe</translation>
    </message>
</context>
<context>
    <name>EvaluateModelAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="32"/>
        <source>Evaluate a model on FLAIR patches</source>
        <translation>Évaluer un modèle sur des patchs FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="34"/>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="38"/>
        <source>Predicts every 512×512 patch of the chosen FLAIR domains whole (one forward pass, as IGN's evaluation does), sums one confusion matrix over all of them and reports FLAIR's metrics: how to check a published mIoU, e.g. FLAIR-INC rgbie_15cl on flair#1-test (the default domains).

&lt;b&gt;Dataset&lt;/b&gt;: the folder with the patches (IMG_/MSK_ files found by name, any layout). &lt;b&gt;Domains&lt;/b&gt;: comma-separated, D012 = every year of D012; 'all' for every labelled patch. &lt;b&gt;Keep predictions&lt;/b&gt;: a folder to keep the predicted patches in, to look at them in QGIS.</source>
        <translation>Prédit chaque patch 512×512 des domaines FLAIR choisis en entier (une passe du réseau, comme l'évaluation de l'IGN), cumule une seule matrice de confusion sur tous et donne les métriques de FLAIR : de quoi vérifier un mIoU publié, par exemple FLAIR-INC rgbie_15cl sur flair#1-test (les domaines par défaut).

&lt;b&gt;Jeu de données&lt;/b&gt; : le dossier des patchs (fichiers IMG_/MSK_ trouvés par leur nom, toute arborescence). &lt;b&gt;Domaines&lt;/b&gt; : séparés par des virgules, D012 = toutes les années de D012 ; « all » pour tous les patchs annotés. &lt;b&gt;Conserver les prédictions&lt;/b&gt; : un dossier où garder les patchs prédits, pour les regarder dans QGIS.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="50"/>
        <source>Model (checkpoint file)</source>
        <translation>Modèle (fichier de checkpoint)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="52"/>
        <source>FLAIR dataset folder</source>
        <translation>Dossier du jeu de données FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="55"/>
        <source>Domains</source>
        <translation>Domaines</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="58"/>
        <source>Report the scores in these classes</source>
        <translation>Exprimer les scores dans ces classes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="61"/>
        <source>Patches per batch</source>
        <translation>Patchs par lot</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="64"/>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate_model.py" line="66"/>
        <source>Keep the predicted patches in</source>
        <translation>Conserver les patchs prédits dans</translation>
    </message>
</context>
<context>
    <name>ExportPatchesAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="45"/>
        <source>Export training patches from your annotations</source>
        <translation>Exporter des patchs d'entraînement depuis vos annotations</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="47"/>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="52"/>
        <source>Cuts your orthophoto and your annotations into training patches for a FLAIR model, so that 'Train a FLAIR model' can fine-tune it on your territory.

&lt;b&gt;Imagery&lt;/b&gt;: as for the segmentation (a raster with R, G, B..., or RGB plus a near-infrared and an elevation layer), resampled to the model's resolution.
&lt;b&gt;Model&lt;/b&gt;: the model you will fine-tune: it sets the bands, the resolution and the patch size (advanced: a smaller patch size).
&lt;b&gt;Annotations&lt;/b&gt;: polygons (any CRS) with a class field and, when the field does not hold FLAIR codes, a mapping table (first column your value, second the FLAIR code or class name; an empty code leaves the value out); or a class raster. Pixels no polygon covers are marked &lt;i&gt;not annotated&lt;/i&gt; (0): the training ignores them, so a few polygons are enough. &lt;b&gt;Area of interest&lt;/b&gt;: only annotations inside it.
&lt;b&gt;Split&lt;/b&gt;: patches are grouped in blocks of N×N neighbouring patches; whole blocks go to validation until the validation share is reached, so validation never scores places next to what was trained on.

&lt;b&gt;Output&lt;/b&gt;: a folder with img/IMG_*.tif, msk/MSK_*.tif, pairs.csv (give it to 'Train a FLAIR model' as its CSV of pairs), class_counts.csv and export.json. The class counts per split are in the log: a class absent from validation cannot be scored, one absent from training cannot be learnt.</source>
        <translation>Découpe votre orthophotographie et vos annotations en patchs d'entraînement pour un modèle FLAIR, afin que « Entraîner un modèle FLAIR » puisse l'affiner sur votre territoire.

&lt;b&gt;Imagerie&lt;/b&gt; : comme pour la segmentation (un raster R, V, B…, ou RVB plus une couche proche infrarouge et une couche d'élévation), rééchantillonnée à la résolution du modèle.
&lt;b&gt;Modèle&lt;/b&gt; : le modèle que vous allez affiner : il fixe les bandes, la résolution et la taille des patchs (avancé : une taille plus petite).
&lt;b&gt;Annotations&lt;/b&gt; : des polygones (tout SCR) avec un champ de classe et, si le champ ne contient pas de codes FLAIR, une table de correspondance (première colonne votre valeur, deuxième le code FLAIR ou le nom de classe ; un code vide écarte la valeur) ; ou un raster de classes. Les pixels qu'aucun polygone ne couvre sont marqués &lt;i&gt;non annotés&lt;/i&gt; (0) : l'entraînement les ignore, quelques polygones suffisent donc. &lt;b&gt;Zone d'intérêt&lt;/b&gt; : seules les annotations qui s'y trouvent.
&lt;b&gt;Répartition&lt;/b&gt; : les patchs sont groupés en blocs de N×N patchs voisins ; des blocs entiers vont en validation jusqu'à atteindre la part de validation, si bien que la validation n'évalue jamais des lieux voisins de ceux appris.

&lt;b&gt;Sortie&lt;/b&gt; : un dossier avec img/IMG_*.tif, msk/MSK_*.tif, pairs.csv (à donner à « Entraîner un modèle FLAIR » comme CSV de paires), class_counts.csv et export.json. Les effectifs par classe et par partie sont dans le journal : une classe absente de la validation ne peut pas être évaluée, une classe absente de l'entraînement ne peut pas être apprise.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="76"/>
        <source>Annotation polygons</source>
        <translation>Polygones d'annotation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="79"/>
        <source>Class field of the polygons</source>
        <translation>Champ de classe des polygones</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="82"/>
        <source>Or a class raster (0 = not annotated)</source>
        <translation>Ou un raster de classes (0 = non annoté)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="85"/>
        <source>Mapping table: class value -&gt; FLAIR code (CSV or table)</source>
        <translation>Table de correspondance : valeur de classe -&gt; code FLAIR (CSV ou table)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="88"/>
        <source>Area of interest (polygons)</source>
        <translation>Zone d'intérêt (polygones)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="91"/>
        <source>Patch size in pixels (default: the model&apos;s)</source>
        <translation>Taille des patchs en pixels (par défaut : celle du modèle)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="94"/>
        <source>Validation share</source>
        <translation>Part de validation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="97"/>
        <source>Split block side (patches)</source>
        <translation>Côté des blocs de répartition (en patchs)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="100"/>
        <source>Least annotated share of a patch</source>
        <translation>Part annotée minimale d'un patch</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="104"/>
        <source>Seed of the split</source>
        <translation>Graine de la répartition</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="107"/>
        <source>Patch folder (new or empty)</source>
        <translation>Dossier des patchs (nouveau ou vide)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="109"/>
        <source>Pairs CSV</source>
        <translation>CSV des paires</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="110"/>
        <source>Class counts</source>
        <translation>Effectifs par classe</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="111"/>
        <source>Model file (to fine-tune)</source>
        <translation>Fichier du modèle (à affiner)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="113"/>
        <source>Training patches</source>
        <translation>Patchs d'entraînement</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/export_patches.py" line="115"/>
        <source>Validation patches</source>
        <translation>Patchs de validation</translation>
    </message>
</context>
<context>
    <name>FeedbackCallbacks</name>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="22"/>
        <source>{s} s</source>
        <translation>{s} s</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="24"/>
        <source>{m} min {s:02d} s</source>
        <translation>{m} min {s:02d} s</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="26"/>
        <source>{h} h {m:02d} min</source>
        <translation>{h} h {m:02d} min</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="65"/>
        <source>{message} — {percent:.0f} % done, about {left} left</source>
        <translation>{message} — {percent:.0f} % effectués, environ {left} restantes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="88"/>
        <source>{text} — about {left} left</source>
        <translation>{text} — environ {left} restantes</translation>
    </message>
</context>
<context>
    <name>FlairAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="101"/>
        <source>stopped on request</source>
        <translation>arrêté à la demande</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/engine_bridge.py" line="102"/>
        <source>Cancelled: {reason}</source>
        <translation>Annulé : {reason}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="372"/>
        <source>Report</source>
        <translation>Rapport</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="373"/>
        <source>HTML files (*.html)</source>
        <translation>Fichiers HTML (*.html)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="374"/>
        <source>Metrics (JSON; a CSV is written beside it)</source>
        <translation>Métriques (JSON ; un CSV est écrit à côté)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="375"/>
        <source>JSON files (*.json)</source>
        <translation>Fichiers JSON (*.json)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="376"/>
        <source>mIoU (FLAIR convention)</source>
        <translation>mIoU (convention FLAIR)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/evaluate.py" line="377"/>
        <source>mIoU over the classes present in either raster</source>
        <translation>mIoU sur les classes présentes dans l'un ou l'autre raster</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="33"/>
        <source>Class scheme of the raster values</source>
        <translation>Nomenclature des valeurs du raster</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="46"/>
        <source>Band</source>
        <translation>Bande</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="57"/>
        <source>Replace an existing .qml style that FLAIR Land Cover did not write</source>
        <translation>Remplacer un style .qml existant que FLAIR Land Cover n'a pas écrit</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="87"/>
        <source>Device</source>
        <translation>Matériel de calcul</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="124"/>
        <source>The mapping table could not be read.</source>
        <translation>La table de correspondance n'a pas pu être lue.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/parameters.py" line="128"/>
        <source>mapping table {name}</source>
        <translation>table de correspondance {name}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="45"/>
        <source>auto: the NVIDIA GPU when PyTorch sees one, else the CPU</source>
        <translation>auto : la carte graphique NVIDIA quand PyTorch en voit une, sinon le processeur (CPU)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="49"/>
        <source>auto: bf16 on a CPU with bf16 instructions (AVX-512 BF16, AMX) and on recent GPUs, fp16 on older GPUs, fp32 elsewhere, checked against fp32 on the first tile; fp16 needs a CUDA GPU</source>
        <translation>auto : bf16 sur un processeur doté d'instructions bf16 (AVX-512 BF16, AMX) et sur les GPU récents, fp16 sur les GPU plus anciens, fp32 ailleurs, vérifié par rapport à fp32 sur la première tuile ; fp16 exige un GPU CUDA</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="55"/>
        <source>what computes the model on a CPU: auto = torch in bf16, ONNX Runtime (else OpenVINO) in fp32; onnx = ONNX Runtime, openvino = OpenVINO (the model is exported once and cached); torch on a GPU and for models with inputs besides the imagery</source>
        <translation>ce qui calcule le modèle sur un processeur : auto = torch en bf16, ONNX Runtime (sinon OpenVINO) en fp32 ; onnx = ONNX Runtime, openvino = OpenVINO (le modèle est exporté une fois puis gardé en cache) ; torch sur un GPU et pour les modèles qui prennent d'autres entrées que l'imagerie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="73"/>
        <source>crop: keep each tile&apos;s centre, as IGN&apos;s zone detection does; hann/gaussian: weighted average of the overlapping tiles&apos; probabilities (fewer seams, more compute)</source>
        <translation>crop : garde le centre de chaque tuile, comme la détection par zone de l'IGN ; hann/gaussian : moyenne pondérée des probabilités des tuiles qui se recouvrent (moins de raccords visibles, plus de calcul)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="79"/>
        <source>how tiles are filled beyond the raster&apos;s edge</source>
        <translation>comment les tuiles sont complétées au-delà du bord du raster</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="83"/>
        <source>all: leave a pixel as no data where all the bands read from one input are no data (a nodata value of 0 then keeps the pixels where only the elevation is 0); any: where any band is</source>
        <translation>all : un pixel reste sans donnée là où toutes les bandes lues dans une même entrée sont sans donnée (une valeur nodata de 0 garde alors les pixels où seule l'élévation vaut 0) ; any : là où une bande l'est</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="106"/>
        <source>output pixels per tile, a multiple of 32 (default: the model&apos;s and the device&apos;s: for a U-Net {block_cpu} on a CPU, {block} on a GPU; {utt_block} for a U-T&amp;T)</source>
        <translation>pixels de sortie par tuile, multiple de 32 (par défaut : selon le modèle et le matériel : pour un U-Net {block_cpu} sur CPU, {block} sur GPU ; {utt_block} pour un U-T&amp;T)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="110"/>
        <source>context added on each side of a block, a multiple of 32 (default: the model&apos;s and the device&apos;s: for a U-Net {halo_cpu} on a CPU, {halo} on a GPU; {utt_halo} for a U-T&amp;T); more halo = fewer seams, more compute</source>
        <translation>contexte ajouté de chaque côté d'un bloc, multiple de 32 (par défaut : selon le modèle et le matériel : pour un U-Net {halo_cpu} sur CPU, {halo} sur GPU ; {utt_halo} pour un U-T&amp;T) ; plus de marge = moins de raccords visibles, plus de calcul</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="123"/>
        <source>tiles per forward pass (default {batch_cuda} on CUDA, {batch_cpu} on CPU)</source>
        <translation>tuiles par passe du réseau (par défaut {batch_cuda} sur CUDA, {batch_cpu} sur CPU)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="126"/>
        <source>threads reading the rasters (default {readers_cuda} on CUDA, {readers_cpu} on CPU)</source>
        <translation>fils d'exécution qui lisent les rasters (par défaut {readers_cuda} sur CUDA, {readers_cpu} sur CPU)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="156"/>
        <source>output tiles follow the input tiles; or give a side in pixels for a regular grid (a single mosaic as input: {catalogue_tile_size})</source>
        <translation>les tuiles de sortie suivent les tuiles d'entrée ; ou donnez un côté en pixels pour une grille régulière (une seule mosaïque en entrée : {catalogue_tile_size})</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="166"/>
        <source>binary: correct / wrong; reference: correct, or the reference class where wrong</source>
        <translation>binary : juste / faux ; reference : juste, ou la classe de référence là où c'est faux</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="185"/>
        <source>unet: aerial only (FLAIR-1); utt: aerial + Sentinel-2 series (FLAIR-2&apos;s U-T&amp;T, needs the SEN2_sp_* files and flair-2_centroids_sp_to_patch.json)</source>
        <translation>unet : aérien seul (FLAIR-1) ; utt : aérien + séries Sentinel-2 (U-T&amp;T de FLAIR-2, exige les fichiers SEN2_sp_* et flair-2_centroids_sp_to_patch.json)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="203"/>
        <source>sgd (momentum 0.9), as FLAIR-1; or adamw</source>
        <translation>sgd (momentum 0,9), comme FLAIR-1 ; ou adamw</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="208"/>
        <source>learning rate (default: {lr_sgd:g} with sgd, {lr_adamw:g} with adamw)</source>
        <translation>taux d'apprentissage (par défaut : {lr_sgd:g} avec sgd, {lr_adamw:g} avec adamw)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="211"/>
        <source>plateau: halve the learning rate after 10 epochs without a better validation mIoU; cosine: cosine decay; none: constant</source>
        <translation>plateau : divise le taux d'apprentissage par deux après 10 époques sans meilleur mIoU de validation ; cosine : décroissance en cosinus ; none : constant</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="216"/>
        <source>16-mixed needs a CUDA GPU; bf16-mixed works on recent GPUs and CPUs</source>
        <translation>16-mixed exige un GPU CUDA ; bf16-mixed fonctionne sur les GPU et processeurs récents</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/base.py" line="134"/>
        <source>Starting: loading PyTorch and the model (a few seconds)…</source>
        <translation>Démarrage : chargement de PyTorch et du modèle (quelques secondes)…</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="19"/>
        <source>FLAIR models (*.safetensors *.pth *.ckpt);;Our format (*.safetensors);;FLAIR-HUB weights (*.safetensors);;FLAIR-INC weights (*.pth);;FLAIR-1 Lightning (*.ckpt);;All files (*)</source>
        <translation>Modèles FLAIR (*.safetensors *.pth *.ckpt);;Notre format (*.safetensors);;Poids FLAIR-HUB (*.safetensors);;Poids FLAIR-INC (*.pth);;FLAIR-1 Lightning (*.ckpt);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="44"/>
        <source>Model file (or choose an IGN model below)</source>
        <translation>Fichier du modèle (ou choisir un modèle de l'IGN ci-dessous)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="48"/>
        <source>Or an IGN model (downloaded on first use)</source>
        <translation>Ou un modèle de l'IGN (téléchargé à la première utilisation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="80"/>
        <source>Choose a model: a model file, or one of IGN&apos;s published models (downloaded on first use)</source>
        <translation>Choisissez un modèle : un fichier de modèle, ou l'un des modèles publiés par l'IGN (téléchargé à la première utilisation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/model_choice.py" line="86"/>
        <source>Downloading {name} ({size} MB) into {folder}</source>
        <translation>Téléchargement de {name} ({size} Mo) dans {folder}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="191"/>
        <source>classes learnt: 15cl = FLAIR-1 main / FLAIR-INC (clear cut, mixed, ligneous and other ignored), 19cl all, 12cl the first 12, baseline13 the 13-class baseline, flairhub = FLAIR-HUB&apos;s 15 classes in its order (to fine-tune its models)</source>
        <translation>classes apprises : 15cl = FLAIR-1 principal / FLAIR-INC (coupe, mixte, ligneux et autre ignorés), 19cl toutes, 12cl les 12 premières, baseline13 la référence à 13 classes, flairhub = les 15 classes de FLAIR-HUB dans son ordre (pour affiner ses modèles)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/engine/options.py" line="199"/>
        <source>input bands: R,G,B (+ near-infrared, + elevation); nirrg = NIR,R,G (FLAIR-HUB&apos;s aerial models)</source>
        <translation>bandes d'entrée : R, V, B (+ proche infrarouge, + élévation) ; nirrg = PIR, R, V (les modèles aériens de FLAIR-HUB)</translation>
    </message>
</context>
<context>
    <name>FlairProvider</name>
    <message>
        <location filename="../flair_plugin/provider.py" line="23"/>
        <source>FLAIR land cover</source>
        <translation>Occupation du sol FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/provider.py" line="26"/>
        <source>FLAIR land cover (IGN FLAIR models for aerial imagery)</source>
        <translation>Occupation du sol FLAIR (modèles FLAIR de l'IGN pour l'imagerie aérienne)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/provider.py" line="46"/>
        <source>Could not read the workflow {path}</source>
        <translation>Impossible de lire le modèle de traitement {path}</translation>
    </message>
</context>
<context>
    <name>InstallPackagesAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="39"/>
        <source>Install the Python packages FLAIR needs</source>
        <translation>Installer les paquets Python dont FLAIR a besoin</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="41"/>
        <source>Set-up</source>
        <translation>Installation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="44"/>
        <source>Downloads and installs the Python packages that segmentation and training need (PyTorch, segmentation-models-pytorch, rasterio...) into a folder of this plugin&apos;s own in your QGIS profile. Nothing of QGIS or of your system is changed: deleting that folder undoes it. Cancel leaves everything as it was.

&lt;b&gt;PyTorch build&lt;/b&gt;: auto takes the small CPU build when the computer has no NVIDIA graphics card, the CUDA build otherwise.
QGIS&apos;s proxy settings are used. Offline: give a folder of downloaded wheel files (advanced), or an index of your organisation.
When an older copy of a package is already loaded, the log says to restart QGIS.</source>
        <translation>Télécharge et installe les paquets Python dont la segmentation et l'entraînement ont besoin (PyTorch, segmentation-models-pytorch, rasterio…) dans un dossier propre à cette extension, dans votre profil QGIS. Rien de QGIS ni de votre système n'est modifié : supprimer ce dossier annule l'installation. Annuler laisse tout en l'état.

&lt;b&gt;Version de PyTorch&lt;/b&gt; : auto prend la petite version pour processeur quand l'ordinateur n'a pas de carte graphique NVIDIA, la version CUDA sinon.
Les paramètres de proxy de QGIS sont utilisés. Hors ligne : donnez un dossier de fichiers wheel téléchargés (avancé), ou un index de votre organisme.
Quand une ancienne version d'un paquet est déjà chargée, le journal indique de redémarrer QGIS.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="57"/>
        <source>Packages for</source>
        <translation>Paquets pour</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="60"/>
        <source>PyTorch build</source>
        <translation>Version de PyTorch</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="63"/>
        <source>Package index URL (empty = PyPI)</source>
        <translation>URL de l'index de paquets (vide = PyPI)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="65"/>
        <source>Folder of wheel files (offline install)</source>
        <translation>Dossier de fichiers wheel (installation hors ligne)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="68"/>
        <source>Package folder</source>
        <translation>Dossier des paquets</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="69"/>
        <source>QGIS must restart</source>
        <translation>QGIS doit redémarrer</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="91"/>
        <source>Installed {names} into {folder}</source>
        <translation>{names} installés dans {folder}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="94"/>
        <source>Restart QGIS: an older copy of a package is loaded in this session</source>
        <translation>Redémarrez QGIS : une ancienne version d'un paquet est chargée dans cette session</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/install_packages.py" line="97"/>
        <source>Ready: no restart needed</source>
        <translation>Prêt : aucun redémarrage nécessaire</translation>
    </message>
</context>
<context>
    <name>LandcoverPolygonsAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="37"/>
        <source>Land-cover polygons: names, hectares, smoothing</source>
        <translation>Polygones d'occupation du sol : noms, hectares, lissage</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="39"/>
        <source>Styles</source>
        <translation>Styles</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="42"/>
        <source>Makes land-cover polygons (e.g. from Raster &gt; Conversion &gt; Polygonize of a FLAIR prediction) ready to use: the FLAIR class name of each polygon&apos;s code, in QGIS&apos;s language (&lt;i&gt;class&lt;/i&gt;), its area in hectares (&lt;i&gt;area_ha&lt;/i&gt;, on the ellipsoid of the project), and the FLAIR colours with the class names in the legend.

&lt;b&gt;Smoothing&lt;/b&gt;: polygons traced from pixels have staircase edges; each iteration rounds their corners (Chaikin&apos;s algorithm). 0 keeps the pixel edges exactly; 2 or 3 look like hand-drawn outlines. Neighbouring polygons, smoothed independently, may then overlap or leave gaps of a fraction of a pixel.</source>
        <translation>Prépare des polygones d'occupation du sol (p. ex. issus de Raster &gt; Conversion &gt; Polygoniser d'une prédiction FLAIR) : le nom de classe FLAIR du code de chaque polygone, dans la langue de QGIS (&lt;i&gt;class&lt;/i&gt;), sa surface en hectares (&lt;i&gt;area_ha&lt;/i&gt;, sur l'ellipsoïde du projet), et les couleurs FLAIR avec les noms des classes dans la légende.

&lt;b&gt;Lissage&lt;/b&gt; : les polygones tracés à partir de pixels ont des bords en escalier ; chaque itération arrondit leurs angles (algorithme de Chaikin). 0 garde exactement les bords des pixels ; 2 ou 3 donnent des contours comme tracés à la main. Des polygones voisins, lissés séparément, peuvent alors se chevaucher ou laisser des interstices d'une fraction de pixel.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="62"/>
        <source>Land-cover polygons</source>
        <translation>Polygones d'occupation du sol</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="56"/>
        <source>Field holding the FLAIR class code</source>
        <translation>Champ contenant le code de classe FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="59"/>
        <source>Smoothing of the pixel edges (iterations; 0 = none)</source>
        <translation>Lissage des bords en escalier des pixels (itérations ; 0 = aucun)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="68"/>
        <source>The polygons could not be read.</source>
        <translation>Les polygones n'ont pas pu être lus.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="72"/>
        <source>The polygons have no field {field}.</source>
        <translation>Les polygones n'ont pas de champ {field}.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/landcover_polygons.py" line="106"/>
        <source>{n} polygons have no FLAIR code (1..19): no class name</source>
        <translation>{n} polygones n'ont pas de code FLAIR (1..19) : pas de nom de classe</translation>
    </message>
</context>
<context>
    <name>LowConfidenceAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="24"/>
        <source>Low-confidence regions (where to check first)</source>
        <translation>Zones de faible confiance (à contrôler en premier)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="26"/>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="30"/>
        <source>Turns the confidence raster of a segmentation (its &apos;Confidence&apos; output: the winning class&apos;s probability) into polygons of the connected regions where the model was unsure: below the threshold, and at least the minimum area (isolated pixels along class edges are left out). Each region has its area in hectares and its mean confidence; the largest come first in the attribute table.</source>
        <translation>Transforme le raster de confiance d'une segmentation (sa sortie « Confiance » : la probabilité de la classe retenue) en polygones des zones contiguës où le modèle hésitait : sous le seuil, et d'au moins la surface minimale (les pixels isolés le long des limites de classes sont écartés). Chaque zone porte sa surface en hectares et sa confiance moyenne ; les plus grandes viennent en tête de la table attributaire.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="39"/>
        <source>Confidence raster (from the segmentation)</source>
        <translation>Raster de confiance (issu de la segmentation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="41"/>
        <source>Unsure below this confidence (0..1)</source>
        <translation>Incertain en dessous de cette confiance (0..1)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="46"/>
        <source>Minimum region area (m²)</source>
        <translation>Surface minimale d'une zone (m²)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="50"/>
        <source>Low-confidence regions</source>
        <translation>Zones de faible confiance</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="60"/>
        <source>confidence: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation>confiance : ce n'est pas un fichier raster ; enregistrez d'abord la couche en GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/low_confidence.py" line="70"/>
        <source>{n} regions ({ha:.2f} ha); {d} smaller ones left out</source>
        <translation>{n} zones ({ha:.2f} ha) ; {d} plus petites écartées</translation>
    </message>
</context>
<context>
    <name>PolygonStatisticsAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="37"/>
        <source>Land cover per polygon (parcels, annotation)</source>
        <translation>Occupation du sol par polygone (parcelles, annotation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="39"/>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="43"/>
        <source>For every polygon of a layer (parcels, a photo-interpreter&apos;s annotation, communes), in any CRS: the hectares of each predicted class inside it, the majority class and its share.

With a &lt;b&gt;class field&lt;/b&gt; (FLAIR codes, or any nomenclature through a mapping table: CSV or table layer, first column your value, second the FLAIR code or class name), also the &lt;b&gt;agreement&lt;/b&gt;: the share of the polygon predicted as its own class. The output is sorted worst agreement first (largest polygons first without a class field), so the parcels that disagree open first in the attribute table, and styled by agreement.
A pixel under two polygons is counted for one of them; the log says how many.</source>
        <translation>Pour chaque polygone d'une couche (parcelles, annotation d'un photo-interprète, communes), dans n'importe quel SCR : les hectares de chaque classe prédite qu'il contient, la classe majoritaire et sa part.

Avec un &lt;b&gt;champ de classe&lt;/b&gt; (codes FLAIR, ou toute nomenclature via une table de correspondance : CSV ou couche table, première colonne votre valeur, deuxième le code FLAIR ou le nom de classe), aussi l'&lt;b&gt;accord&lt;/b&gt; : la part du polygone prédite dans sa propre classe. La sortie est triée du plus faible accord au plus fort (les plus grands polygones d'abord sans champ de classe) : les parcelles en désaccord s'ouvrent en premier dans la table attributaire, et la couche est stylée selon l'accord.
Un pixel sous deux polygones est compté pour l'un d'eux ; le journal dit combien.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="57"/>
        <source>Land cover (prediction)</source>
        <translation>Occupation du sol (prédiction)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="59"/>
        <source>Polygons</source>
        <translation>Polygones</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="61"/>
        <source>Class field of the polygons (for the agreement)</source>
        <translation>Champ de classe des polygones (pour l'accord)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="64"/>
        <source>Mapping table: polygon class value -&gt; FLAIR code (CSV or table)</source>
        <translation>Table de correspondance : valeur de classe des polygones -&gt; code FLAIR (CSV ou table)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="68"/>
        <source>What the prediction&apos;s values mean</source>
        <translation>Ce que signifient les valeurs de la prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="70"/>
        <source>Prediction band</source>
        <translation>Bande de la prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="73"/>
        <source>What the class field&apos;s values mean (without a mapping table)</source>
        <translation>Ce que signifient les valeurs du champ de classe (sans table de correspondance)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="76"/>
        <source>Statistics per polygon</source>
        <translation>Statistiques par polygone</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="86"/>
        <source>prediction: not a raster file; save the layer as a GeoTIFF first.</source>
        <translation>prédiction : ce n'est pas un fichier raster ; enregistrez d'abord la couche en GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="90"/>
        <source>{path}: the statistics are written as a GeoPackage; give a .gpkg name.</source>
        <translation>{path} : les statistiques sont écrites en GeoPackage ; donnez un nom en .gpkg.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="106"/>
        <source>{n} polygons, {m} over the prediction</source>
        <translation>{n} polygones, {m} sur la prédiction</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/polygon_statistics.py" line="109"/>
        <source>agreement, area-weighted: {a:.1f} %</source>
        <translation>accord pondéré par la surface : {a:.1f} %</translation>
    </message>
</context>
<context>
    <name>SegmentAerialAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="72"/>
        <source>Land cover from aerial imagery (U-Net)</source>
        <translation>Segmenter une orthophotographie (U-Net)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="235"/>
        <source>Land cover</source>
        <translation>Occupation du sol</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="122"/>
        <source>Extent</source>
        <translation>Emprise</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="124"/>
        <source>Area of interest (polygons: a commune, a mask); outside it the output is no data</source>
        <translation>Zone d'intérêt (polygones : une commune, un masque) ; hors de la zone, la sortie est sans donnée</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="142"/>
        <source>Acquisition date (YYYY-MM-DD), for models trained with aerial metadata</source>
        <translation>Date de prise de vue (AAAA-MM-JJ), pour les modèles entraînés avec les métadonnées aériennes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="142"/>
        <source>Acquisition time (HHhMM, e.g. 10h35), for models trained with aerial metadata</source>
        <translation>Heure de prise de vue (HHhMM, p. ex. 10h35), pour les modèles entraînés avec les métadonnées aériennes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="142"/>
        <source>Camera (e.g. UCE-M3-f120), for models trained with aerial metadata</source>
        <translation>Caméra (p. ex. UCE-M3-f120), pour les modèles entraînés avec les métadonnées aériennes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="151"/>
        <source>Ground altitude (m), for models trained with aerial metadata</source>
        <translation>Altitude du sol (m), pour les modèles entraînés avec les métadonnées aériennes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="155"/>
        <source>Run without the model&apos;s metadata branch (as IGN&apos;s zone detection)</source>
        <translation>Exécuter sans la branche métadonnées du modèle (comme la détection par zone de l'IGN)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="160"/>
        <source>Aerial imagery (RGB, or a FLAIR 5-band R,G,B,NIR,elevation raster)</source>
        <translation>Orthophotographie (RVB, ou raster FLAIR à 5 bandes R, V, B, PIR, élévation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="163"/>
        <source>Near-infrared layer (e.g. BD ORTHO IRC), if not in the imagery</source>
        <translation>Couche proche infrarouge (p. ex. BD ORTHO IRC), si elle n'est pas dans l'imagerie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="166"/>
        <source>Elevation layer (height above ground), if not in the imagery</source>
        <translation>Couche d'élévation (hauteur au-dessus du sol), si elle n'est pas dans l'imagerie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="171"/>
        <source>Red band</source>
        <translation>Bande rouge</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="171"/>
        <source>Green band</source>
        <translation>Bande verte</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="171"/>
        <source>Blue band</source>
        <translation>Bande bleue</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="175"/>
        <source>Near-infrared band (default: 1 of the near-infrared layer, else 4 of the imagery)</source>
        <translation>Bande proche infrarouge (par défaut : 1 de la couche proche infrarouge, sinon 4 de l'imagerie)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="179"/>
        <source>Elevation band (default: 1 of the elevation layer, else 5 of the imagery)</source>
        <translation>Bande d'élévation (par défaut : 1 de la couche d'élévation, sinon 5 de l'imagerie)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="197"/>
        <source>Blending of overlapping tiles</source>
        <translation>Fusion des tuiles qui se recouvrent</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="199"/>
        <source>Tiles per batch (0 = automatic)</source>
        <translation>Tuiles par lot (0 = automatique)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="199"/>
        <source>Reader threads (0 = automatic)</source>
        <translation>Fils de lecture (0 = automatique)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="237"/>
        <source>Class probabilities</source>
        <translation>Probabilités des classes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="240"/>
        <source>Confidence</source>
        <translation>Confiance</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="275"/>
        <source>Device {device} ({runtime} {precision}), batch {batch}, block {block} halo {halo}; {done} tiles computed, {skipped} skipped (no data); {width}x{height} px in {seconds:.1f} s = {speed:.2f} Mpx/s</source>
        <translation>Matériel {device} ({runtime} {precision}), lot {batch}, bloc {block} marge {halo} ; {done} tuiles calculées, {skipped} ignorées (sans donnée) ; {width}x{height} px en {seconds:.1f} s = {speed:.2f} Mpx/s</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="310"/>
        <source>{layer} is not a raster file (provider {provider}): save it as a GeoTIFF (Export &gt; Save As...) and use that file.</source>
        <translation>{layer} n'est pas un fichier raster (fournisseur {provider}) : enregistrez-le en GeoTIFF (Exporter &gt; Enregistrer sous…) et utilisez ce fichier.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="331"/>
        <source>The model needs bands this algorithm cannot provide: {bands}.</source>
        <translation>Le modèle a besoin de bandes que cet algorithme ne peut pas fournir : {bands}.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="356"/>
        <source>The area of interest does not overlap the extent.</source>
        <translation>La zone d'intérêt ne recoupe pas l'emprise.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="370"/>
        <source>{path}: outputs are written as GeoTIFF; give a .tif file name.</source>
        <translation>{path} : les sorties sont écrites en GeoTIFF ; donnez un nom de fichier en .tif.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="377"/>
        <source>{name} &lt;- {file} band {band}</source>
        <translation>{name} &lt;- {file} bande {band}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="380"/>
        <source>Model: {architecture} {encoder}, {classes} classes, trained at {pixel} m. Bands: {bands}</source>
        <translation>Modèle : {architecture} {encoder}, {classes} classes, entraîné à {pixel} m. Bandes : {bands}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="187"/>
        <source>Tile size, output pixels (multiple of 32; empty = automatic)</source>
        <translation>Taille des tuiles, en pixels de sortie (multiple de 32 ; vide = automatique)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="187"/>
        <source>Context margin around each tile, pixels (multiple of 32; empty = automatic)</source>
        <translation>Marge de contexte autour de chaque tuile, en pixels (multiple de 32 ; vide = automatique)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="207"/>
        <source>Numeric precision</source>
        <translation>Précision numérique</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="209"/>
        <source>Computing library on a CPU</source>
        <translation>Bibliothèque de calcul sur processeur</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="231"/>
        <source>Legend: every class the model can predict (default: the classes in the map)</source>
        <translation>Légende : toutes les classes que le modèle peut prédire (par défaut : les classes présentes sur la carte)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="407"/>
        <source>Land cover — {input}</source>
        <translation>Occupation du sol — {input}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="403"/>
        <source>0 % (unsure)</source>
        <translation>0 % (incertain)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="403"/>
        <source>100 % (sure)</source>
        <translation>100 % (sûr)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="410"/>
        <source>Confidence — {input}</source>
        <translation>Confiance — {input}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="412"/>
        <source>Class probabilities — {input}</source>
        <translation>Probabilités des classes — {input}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="79"/>
        <source>Maps the FLAIR land-cover classes (building, impervious surface, water, coniferous, vineyard...) on an aerial orthophoto at about 0.2 m with a FLAIR U-Net, tile by tile, so rasters of any size work.

&lt;b&gt;Imagery&lt;/b&gt;: a raster with red, green, blue (and for 4- or 5-band models near-infrared and elevation). IGN ships BD ORTHO RGB, IRC and elevation separately: give the IRC raster as &lt;i&gt;Near-infrared layer&lt;/i&gt; (infrared is its band 1) and the elevation (height above ground, 1 unit = 0.2 m as in FLAIR) as &lt;i&gt;Elevation layer&lt;/i&gt;; they are resampled on the fly onto the imagery&apos;s pixel grid.
&lt;b&gt;Model&lt;/b&gt;: a checkpoint of this plugin (.safetensors), a FLAIR-INC .pth exactly as published by IGN on Hugging Face, a FLAIR-1 .ckpt, or an aerial FLAIR-HUB model (IGN&apos;s 2025 models, e.g. FLAIR-HUB_LC-A_IR_convnextv2base-upernet.safetensors, as published: they read near-infrared, red and green, so give an RGBI raster or the near-infrared layer). The model says which bands it needs; the band numbers say where to find them.
&lt;b&gt;Extent&lt;/b&gt;: only this area (any CRS).
&lt;b&gt;Output&lt;/b&gt;: a GeoTIFF of FLAIR codes 1..19 (0 = no data) on the imagery&apos;s grid, styled with the FLAIR colours (a .qml is written beside it). Optional: one band of probability per class (0..255) and the confidence of the chosen class (0..255); for a FLAIR-HUB model with the crop-type task, a styled raster of its 23 crop types (1..23, French LPIS classes), computed in a second pass.

Advanced (the technical term in brackets, as in the headless command): &lt;i&gt;Tile size&lt;/i&gt; (block) = output pixels per tile, &lt;i&gt;Context margin&lt;/i&gt; (halo) = context added on each side (multiples of 32; a wider margin = fewer seams, more compute); &lt;i&gt;Blending&lt;/i&gt; (blend): crop keeps each tile&apos;s centre like IGN&apos;s zone detection, hann/gaussian average overlapping probabilities; &lt;i&gt;Tiles per batch&lt;/i&gt; (batch) per forward pass; &lt;i&gt;Reader threads&lt;/i&gt;; &lt;i&gt;Device&lt;/i&gt;, &lt;i&gt;Numeric precision&lt;/i&gt; (precision) and &lt;i&gt;Computing library&lt;/i&gt; (runtime) (automatic: bf16 where the processor or GPU computes it natively, ONNX Runtime or OpenVINO on a CPU when installed, each checked against fp32 on the first tile).

&lt;b&gt;Models trained with FLAIR-1&apos;s aerial metadata&lt;/b&gt; (a FLAIR-1 .ckpt with the metadata MLP) also need the flight&apos;s &lt;i&gt;acquisition date&lt;/i&gt; (YYYY-MM-DD), &lt;i&gt;time&lt;/i&gt; (HHhMM), &lt;i&gt;camera&lt;/i&gt; and the area&apos;s &lt;i&gt;ground altitude&lt;/i&gt; (m), in the advanced parameters; each tile&apos;s position is taken from the imagery. Or tick &lt;i&gt;Run without the model&apos;s metadata branch&lt;/i&gt;, as IGN&apos;s zone detection does. Other models ignore these parameters.</source>
        <translation>Cartographie les classes d'occupation du sol FLAIR (bâtiment, zone imperméable, eau, conifère, vigne…) sur une orthophotographie aérienne à environ 0,2 m avec un U-Net FLAIR, tuile par tuile : les rasters de toute taille conviennent.

&lt;b&gt;Imagerie&lt;/b&gt; : un raster rouge, vert, bleu (et, pour les modèles à 4 ou 5 bandes, proche infrarouge et élévation). L'IGN diffuse séparément la BD ORTHO RVB, l'IRC et l'élévation : donnez le raster IRC comme &lt;i&gt;Couche proche infrarouge&lt;/i&gt; (l'infrarouge est sa bande 1) et l'élévation (hauteur au-dessus du sol, 1 unité = 0,2 m comme dans FLAIR) comme &lt;i&gt;Couche d'élévation&lt;/i&gt; ; elles sont rééchantillonnées à la volée sur la grille de pixels de l'imagerie.
&lt;b&gt;Modèle&lt;/b&gt; : un checkpoint de cette extension (.safetensors), un .pth FLAIR-INC tel que publié par l'IGN sur Hugging Face, un .ckpt FLAIR-1, ou un modèle FLAIR-HUB aérien (les modèles 2025 de l'IGN, p. ex. FLAIR-HUB_LC-A_IR_convnextv2base-upernet.safetensors, tels que publiés : ils lisent le proche infrarouge, le rouge et le vert, donnez donc un raster RVBI ou la couche proche infrarouge). Le modèle dit de quelles bandes il a besoin ; les numéros de bande disent où les trouver.
&lt;b&gt;Emprise&lt;/b&gt; : uniquement cette zone (tout SCR).
&lt;b&gt;Sortie&lt;/b&gt; : un GeoTIFF de codes FLAIR 1..19 (0 = sans donnée) sur la grille de l'imagerie, stylé avec les couleurs FLAIR (un .qml est écrit à côté). En option : une bande de probabilité par classe (0..255) et la confiance de la classe retenue (0..255) ; pour un modèle FLAIR-HUB qui a la tâche des cultures, un raster stylé de ses 23 types de cultures (1..23, classes RPG), calculé dans une seconde passe.

Avancé (le terme technique entre parenthèses, comme dans la commande sans interface) : &lt;i&gt;Taille des tuiles&lt;/i&gt; (block) = pixels de sortie par tuile, &lt;i&gt;Marge de contexte&lt;/i&gt; (halo) = contexte ajouté de chaque côté (multiples de 32 ; une marge plus large = moins de raccords visibles, plus de calcul) ; &lt;i&gt;Fusion&lt;/i&gt; (blend) : crop garde le centre de chaque tuile comme la détection par zone de l'IGN, hann/gaussian font la moyenne des probabilités qui se recouvrent ; &lt;i&gt;Tuiles par lot&lt;/i&gt; (batch) par passe du réseau ; &lt;i&gt;Fils de lecture&lt;/i&gt; ; &lt;i&gt;Matériel de calcul&lt;/i&gt;, &lt;i&gt;Précision numérique&lt;/i&gt; (precision) et &lt;i&gt;Bibliothèque de calcul&lt;/i&gt; (runtime) (automatique : bf16 là où le processeur ou le GPU le calcule nativement, ONNX Runtime ou OpenVINO sur processeur s'ils sont installés, chacun vérifié par rapport à fp32 sur la première tuile).

&lt;b&gt;Modèles entraînés avec les métadonnées aériennes de FLAIR-1&lt;/b&gt; (un .ckpt FLAIR-1 avec le MLP de métadonnées) : il leur faut aussi la &lt;i&gt;date de prise de vue&lt;/i&gt; (AAAA-MM-JJ), l'&lt;i&gt;heure&lt;/i&gt; (HHhMM), la &lt;i&gt;caméra&lt;/i&gt; et l'&lt;i&gt;altitude du sol&lt;/i&gt; de la zone (m), dans les paramètres avancés ; la position de chaque tuile est tirée de l'imagerie. Ou cochez &lt;i&gt;Exécuter sans la branche métadonnées du modèle&lt;/i&gt;, comme la détection par zone de l'IGN. Les autres modèles ignorent ces paramètres.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="135"/>
        <source>Crop types (FLAIR-HUB models with the LPIS task)</source>
        <translation>Types de cultures (modèles FLAIR-HUB avec la tâche RPG)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_aerial.py" line="415"/>
        <source>Crop types — {input}</source>
        <translation>Types de cultures — {input}</translation>
    </message>
</context>
<context>
    <name>SegmentCatalogueAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="44"/>
        <source>Land cover from a folder of aerial tiles (U-Net)</source>
        <translation>Segmenter un dossier de dalles (U-Net)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="48"/>
        <source>Maps the FLAIR land-cover classes over a whole folder of orthophoto tiles, such as a BD ORTHO delivery (5 km tiles, GeoTIFF or JPEG 2000, searched in sub-folders).

The tiles are read as one mosaic: each output tile gets its context from the neighbouring tiles, so the result is exactly that of one run over the whole mosaic, without seams at the tile edges.
&lt;b&gt;Imagery&lt;/b&gt;: the folder of tiles (red, green, blue, and for 4- or 5-band models near-infrared and elevation). BD ORTHO IRC and elevation tiles, delivered separately, go in their own folders; the band numbers say where each band is.
&lt;b&gt;Output folder&lt;/b&gt;: one land-cover tile per input tile (tiles/), a manifest of the finished tiles, and the mosaic &lt;i&gt;landcover.vrt&lt;/i&gt; with overviews and the FLAIR style, loaded when the run ends.
&lt;b&gt;Resume&lt;/b&gt;: cancel at any time; run again with the same folder and settings to compute only the missing tiles. A folder holding a run with other settings is refused.

Inside QGIS the tiles are computed one after another; for several GPUs or a cluster, run the flair-landcover catalogue command (Ray, SLURM) and open its landcover.vrt here.</source>
        <translation>Cartographie les classes d'occupation du sol FLAIR sur tout un dossier de dalles d'orthophotographie, comme une livraison BD ORTHO (dalles de 5 km, GeoTIFF ou JPEG 2000, cherchées dans les sous-dossiers).

Les dalles sont lues comme une seule mosaïque : chaque dalle de sortie tire son contexte des dalles voisines, le résultat est donc exactement celui d'un seul calcul sur toute la mosaïque, sans raccord aux bords des dalles.
&lt;b&gt;Imagerie&lt;/b&gt; : le dossier des dalles (rouge, vert, bleu et, pour les modèles à 4 ou 5 bandes, proche infrarouge et élévation). Les dalles BD ORTHO IRC et d'élévation, livrées à part, vont dans leurs propres dossiers ; les numéros de bande disent où est chaque bande.
&lt;b&gt;Dossier de sortie&lt;/b&gt; : une dalle d'occupation du sol par dalle d'entrée (tiles/), un manifeste des dalles terminées, et la mosaïque &lt;i&gt;landcover.vrt&lt;/i&gt; avec ses pyramides et le style FLAIR, chargée à la fin du calcul.
&lt;b&gt;Reprise&lt;/b&gt; : annulez à tout moment ; relancez avec le même dossier et les mêmes paramètres pour ne calculer que les dalles manquantes. Un dossier contenant un calcul fait avec d'autres paramètres est refusé.

Dans QGIS, les dalles sont calculées l'une après l'autre ; pour plusieurs GPU ou une grappe de calcul, lancez la commande flair-landcover catalogue (Ray, SLURM) et ouvrez ici son landcover.vrt.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="69"/>
        <source>Folder of imagery tiles (RGB, or R,G,B,NIR,elevation)</source>
        <translation>Dossier des dalles d'imagerie (RVB, ou R, V, B, PIR, élévation)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="72"/>
        <source>Folder of near-infrared tiles (e.g. BD ORTHO IRC), if not in the imagery</source>
        <translation>Dossier des dalles proche infrarouge (p. ex. BD ORTHO IRC), si elles ne sont pas dans l'imagerie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="72"/>
        <source>Folder of elevation tiles, if not in the imagery</source>
        <translation>Dossier des dalles d'élévation, si elles ne sont pas dans l'imagerie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="79"/>
        <source>Red band</source>
        <translation>Bande rouge</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="79"/>
        <source>Green band</source>
        <translation>Bande verte</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="79"/>
        <source>Blue band</source>
        <translation>Bande bleue</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="84"/>
        <source>Near-infrared band (default: 1 of the near-infrared tiles, else 4 of the imagery)</source>
        <translation>Bande proche infrarouge (par défaut : 1 des dalles proche infrarouge, sinon 4 de l'imagerie)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="84"/>
        <source>Elevation band (default: 1 of the elevation tiles, else 5 of the imagery)</source>
        <translation>Bande d'élévation (par défaut : 1 des dalles d'élévation, sinon 5 de l'imagerie)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="92"/>
        <source>Output tile size (pixels; empty = one per input tile)</source>
        <translation>Taille des dalles de sortie (pixels ; vide = une par dalle d'entrée)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="99"/>
        <source>Output folder (run again into it to resume)</source>
        <translation>Dossier de sortie (relancez dans ce dossier pour reprendre)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="101"/>
        <source>Land cover</source>
        <translation>Occupation du sol</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="102"/>
        <source>Tiles computed by this run</source>
        <translation>Dalles calculées par ce lancement</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="104"/>
        <source>Tiles finished by earlier runs</source>
        <translation>Dalles terminées par des lancements précédents</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="124"/>
        <source>{computed} tiles computed, {reused} finished by earlier runs, {retries} retried; {seconds:.1f} s, {speed:.2f} Mpx/s; mosaic: {mosaic}</source>
        <translation>{computed} dalles calculées, {reused} terminées par des lancements précédents, {retries} relancées ; {seconds:.1f} s, {speed:.2f} Mpx/s ; mosaïque : {mosaic}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="172"/>
        <source>The model needs bands this algorithm cannot provide: {bands}.</source>
        <translation>Le modèle a besoin de bandes que cet algorithme ne peut pas fournir : {bands}.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_catalogue.py" line="140"/>
        <source>Land cover — {input}</source>
        <translation>Occupation du sol — {input}</translation>
    </message>
</context>
<context>
    <name>SegmentMultimodalAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="43"/>
        <source>Land cover from aerial imagery and Sentinel-2 (U-T&amp;T)</source>
        <translation>Segmenter ortho + Sentinel-2 (U-T&amp;T)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="87"/>
        <source>Sentinel-2 (one 10-band raster per date, or one T×10-band stack)</source>
        <translation>Sentinel-2 (un raster à 10 bandes par date, ou une pile de T×10 bandes)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="90"/>
        <source>Dates file (one YYYYMMDD a line; default: dates in the file names)</source>
        <translation>Fichier de dates (une date AAAAMMJJ par ligne ; par défaut : les dates des noms de fichiers)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="106"/>
        <source>Text files (*.txt *.csv);;All files (*)</source>
        <translation>Fichiers texte (*.txt *.csv);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="94"/>
        <source>Cloud/snow masks (2 bands per date: snow, cloud 0..100)</source>
        <translation>Masques nuages/neige (2 bandes par date : neige, nuage 0..100)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="124"/>
        <source>Give the Sentinel-2 rasters (one per date, or a stack).</source>
        <translation>Donnez les rasters Sentinel-2 (un par date, ou une pile).</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="142"/>
        <source>{layer} is not a raster file: save it as a GeoTIFF and use that file.</source>
        <translation>{layer} n'est pas un fichier raster : enregistrez-le en GeoTIFF et utilisez ce fichier.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="48"/>
        <source>Maps the FLAIR classes with a FLAIR-2 U-T&amp;T model, which sees the aerial orthophoto (0.2 m) and a year of Sentinel-2 images (10 m) around each 512 px aerial tile.

&lt;b&gt;Imagery&lt;/b&gt; and band choices: as in &lt;i&gt;Land cover from aerial imagery&lt;/i&gt;.
&lt;b&gt;Sentinel-2&lt;/b&gt;: either one GeoTIFF per date with the 10 bands B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12 in that order (the date is read from YYYYMMDD in each file name unless a dates file is given), or one GeoTIFF stacking T dates × 10 bands, date after date, with a dates file. All on one grid, covering the whole area; another CRS than the imagery's is reprojected on the fly (nearest).
&lt;b&gt;Dates file&lt;/b&gt;: one date a line (YYYYMMDD, as FLAIR-HUB), in band order.
&lt;b&gt;Cloud/snow masks&lt;/b&gt;: snow and cloud probabilities 0..100, one 2-band file per date or one stack of T × 2 bands; needed by models that drop cloudy dates (as FLAIR-2's). Where every date is cloudy, the least cloudy one is used and a warning says how many tiles were concerned.
&lt;b&gt;Model&lt;/b&gt;: a U-T&amp;T checkpoint, or a FLAIR-HUB model taking aerial imagery and Sentinel-2 as IGN publishes it (.safetensors): it reads near-infrared, red and green, and per tile the Sentinel-2 pixels under the tile (about 10 a side for a 512 px tile, every date, raw values, no cloud filtering; dates counted from 15 May). FLAIR-HUB models that also take Sentinel-1 get its ascending and descending series (2 bands a date, VV and VH, raw values) in the advanced parameters, each with its dates file. For U-Net and aerial-only FLAIR-HUB models use &lt;i&gt;Land cover from aerial imagery&lt;/i&gt;.
&lt;b&gt;Output&lt;/b&gt;: FLAIR codes (0 = no data) on the imagery's grid, styled. Optional: one band of probability per class (0..255) and the confidence of the chosen class (0..255); for a FLAIR-HUB model with the crop-type task, its 23 crop types, styled.

Advanced: &lt;i&gt;block&lt;/i&gt; (512 = FLAIR-2's patch; each block gets the Sentinel-2 series around its centre), &lt;i&gt;halo&lt;/i&gt; = context added on each side (0 as FLAIR-2 by default; multiples of 32), &lt;i&gt;blend&lt;/i&gt; crop keeps each tile's centre, hann/gaussian average overlapping probabilities (give a halo for them to overlap); &lt;i&gt;batch&lt;/i&gt; tiles per forward pass; &lt;i&gt;reader threads&lt;/i&gt;; &lt;i&gt;device&lt;/i&gt; and &lt;i&gt;precision&lt;/i&gt;.</source>
        <translation>Cartographie les classes FLAIR avec un modèle U-T&amp;T de FLAIR-2, qui voit l'orthophotographie aérienne (0,2 m) et une année d'images Sentinel-2 (10 m) autour de chaque tuile aérienne de 512 px.

&lt;b&gt;Imagerie&lt;/b&gt; et choix des bandes : comme dans &lt;i&gt;Segmenter une orthophotographie&lt;/i&gt;.
&lt;b&gt;Sentinel-2&lt;/b&gt; : soit un GeoTIFF par date avec les 10 bandes B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12 dans cet ordre (la date est lue dans le AAAAMMJJ de chaque nom de fichier, sauf si un fichier de dates est donné), soit un GeoTIFF empilant T dates × 10 bandes, date après date, avec un fichier de dates. Tous sur une même grille, couvrant toute la zone ; un SCR différent de celui de l'imagerie est reprojeté à la volée (plus proche voisin).
&lt;b&gt;Fichier de dates&lt;/b&gt; : une date par ligne (AAAAMMJJ, comme FLAIR-HUB), dans l'ordre des bandes.
&lt;b&gt;Masques nuages/neige&lt;/b&gt; : probabilités de neige et de nuage 0..100, un fichier à 2 bandes par date ou une pile de T × 2 bandes ; nécessaires aux modèles qui écartent les dates nuageuses (comme ceux de FLAIR-2). Là où toutes les dates sont nuageuses, la moins nuageuse est utilisée et un avertissement dit combien de tuiles sont concernées.
&lt;b&gt;Modèle&lt;/b&gt; : un checkpoint U-T&amp;T, ou un modèle FLAIR-HUB prenant l'imagerie aérienne et Sentinel-2 tel que publié par l'IGN (.safetensors) : il lit le proche infrarouge, le rouge et le vert et, par tuile, les pixels Sentinel-2 sous la tuile (environ 10 de côté pour une tuile de 512 px, toutes les dates, valeurs brutes, sans filtrage des nuages ; dates comptées depuis le 15 mai). Les modèles FLAIR-HUB qui prennent aussi Sentinel-1 reçoivent ses séries ascendante et descendante (2 bandes par date, VV et VH, valeurs brutes) dans les paramètres avancés, chacune avec son fichier de dates. Pour les U-Net et les modèles FLAIR-HUB aériens seuls, utilisez &lt;i&gt;Segmenter une orthophotographie&lt;/i&gt;.
&lt;b&gt;Sortie&lt;/b&gt; : codes FLAIR (0 = sans donnée) sur la grille de l'imagerie, stylés. En option : une bande de probabilité par classe (0..255) et la confiance de la classe retenue (0..255) ; pour un modèle FLAIR-HUB qui a la tâche des cultures, ses 23 types de cultures, stylés.

Avancé : &lt;i&gt;block&lt;/i&gt; (512 = le patch de FLAIR-2 ; chaque bloc reçoit la série Sentinel-2 autour de son centre), &lt;i&gt;halo&lt;/i&gt; = contexte ajouté de chaque côté (0 comme FLAIR-2 par défaut ; multiples de 32), &lt;i&gt;blend&lt;/i&gt; : crop garde le centre de chaque tuile, hann/gaussian font la moyenne des probabilités qui se recouvrent (donnez une marge pour qu'elles se recouvrent) ; &lt;i&gt;batch&lt;/i&gt; : tuiles par passe du réseau ; &lt;i&gt;fils de lecture&lt;/i&gt; ; &lt;i&gt;matériel&lt;/i&gt; et &lt;i&gt;précision&lt;/i&gt;.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="97"/>
        <source>Sentinel-1 ascending (FLAIR-HUB models that take it: one 2-band VV,VH raster per date, or one T×2-band stack)</source>
        <translation>Sentinel-1 ascendant (modèles FLAIR-HUB qui le prennent : un raster à 2 bandes VV, VH par date, ou une pile de T×2 bandes)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="97"/>
        <source>Sentinel-1 descending (FLAIR-HUB models that take it: one 2-band VV,VH raster per date, or one T×2-band stack)</source>
        <translation>Sentinel-1 descendant (modèles FLAIR-HUB qui le prennent : un raster à 2 bandes VV, VH par date, ou une pile de T×2 bandes)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/segment_multimodal.py" line="106"/>
        <source>Its dates file (one YYYYMMDD a line)</source>
        <translation>Son fichier de dates (un AAAAMMJJ par ligne)</translation>
    </message>
</context>
<context>
    <name>TrainAlgorithm</name>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="49"/>
        <source>Train a FLAIR model</source>
        <translation>Entraîner un modèle FLAIR</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="50"/>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="84"/>
        <source>Output folder (temporary = a new folder under &apos;FLAIR trainings&apos;, kept)</source>
        <translation>Dossier de sortie (temporaire = un nouveau dossier sous « FLAIR trainings », conservé)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="88"/>
        <source>Best model</source>
        <translation>Meilleur modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="89"/>
        <source>Last model</source>
        <translation>Dernier modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="90"/>
        <source>Training log (CSV)</source>
        <translation>Journal d'entraînement (CSV)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="91"/>
        <source>Training curves (PNG)</source>
        <translation>Courbes d'entraînement (PNG)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="92"/>
        <source>Best validation mIoU</source>
        <translation>Meilleur mIoU de validation</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="99"/>
        <source>Or: CSV of image,mask[,split] pairs</source>
        <translation>Ou : CSV de paires image,masque[,split]</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="99"/>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="102"/>
        <source>Training domains (comma-separated; empty = FLAIR&apos;s official)</source>
        <translation>Domaines d'entraînement (séparés par des virgules ; vide = ceux officiels de FLAIR)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="105"/>
        <source>Validation domains (empty = FLAIR&apos;s official)</source>
        <translation>Domaines de validation (vide = ceux officiels de FLAIR)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="110"/>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="111"/>
        <source>Classes</source>
        <translation>Classes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="113"/>
        <source>Bands</source>
        <translation>Bandes</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="114"/>
        <source>FLAIR models (*.safetensors *.pth *.ckpt)</source>
        <translation>Modèles FLAIR (*.safetensors *.pth *.ckpt)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="117"/>
        <source>Resume the run in the output folder</source>
        <translation>Reprendre l'entraînement du dossier de sortie</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="119"/>
        <source>Encoder</source>
        <translation>Encodeur</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="121"/>
        <source>Use the aerial metadata (FLAIR-1 MLP)</source>
        <translation>Utiliser les métadonnées aériennes (MLP de FLAIR-1)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="124"/>
        <source>Re-initialise the last layer when fine-tuning</source>
        <translation>Réinitialiser la dernière couche lors du réglage fin</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="129"/>
        <source>Epochs (in total, when resuming)</source>
        <translation>Époques (au total, en cas de reprise)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="132"/>
        <source>Batch size</source>
        <translation>Taille de lot</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="144"/>
        <source>Optimiser</source>
        <translation>Optimiseur</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="146"/>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="148"/>
        <source>Random seed</source>
        <translation>Graine aléatoire</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="171"/>
        <source>Nothing to resume: no training run with a saved state in {root}. Give the folder of the run to resume as the output folder, or untick &apos;Resume&apos; to start a new run.</source>
        <translation>Rien à reprendre : aucun entraînement avec un état sauvegardé dans {root}. Donnez comme dossier de sortie le dossier de l'entraînement à reprendre, ou décochez « Reprendre » pour en commencer un nouveau.</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="187"/>
        <source>The run&apos;s files (models, log, curves) go to {folder}</source>
        <translation>Les fichiers de l'entraînement (modèles, journal, courbes) vont dans {folder}</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="196"/>
        <source>Best validation mIoU {miou:.4f} at epoch {epoch}; {epochs} epoch(s) done</source>
        <translation>Meilleur mIoU de validation {miou:.4f} à l'époque {epoch} ; {epochs} époque(s) effectuée(s)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="96"/>
        <source>FLAIR dataset folder (or a CSV of pairs below)</source>
        <translation>Dossier du jeu de données FLAIR (ou un CSV de paires ci-dessous)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="114"/>
        <source>Fine-tune from this model</source>
        <translation>Affiner à partir de ce modèle</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="138"/>
        <source>Learning rate (empty = the optimiser&apos;s FLAIR default)</source>
        <translation>Taux d'apprentissage (vide = la valeur FLAIR par défaut de l'optimiseur)</translation>
    </message>
    <message>
        <location filename="../flair_plugin/algorithms/train.py" line="54"/>
        <source>Trains a FLAIR U-Net on FLAIR data on your disk (the FLAIR-1/FLAIR-2 download, or your own patches named IMG_&amp;lt;id&amp;gt;.tif / MSK_&amp;lt;id&amp;gt;.tif), or fine-tunes an existing model (this plugin&apos;s, or a FLAIR-INC .pth).

&lt;b&gt;Dataset&lt;/b&gt;: the folder holding the patches, in any layout: files are found by name, the domain (D006_2020...) by folder name. Splits: FLAIR&apos;s official train and validation domains unless you list domains (e.g. D006,D007_2020), or give a CSV of image,mask[,split] pairs.
&lt;b&gt;Your own territory&lt;/b&gt;: give the pairs.csv of &apos;Export training patches from your annotations&apos; and the model to fine-tune: pixels no polygon covers (mask value 0) are ignored, in the loss and in the validation scores.
&lt;b&gt;Classes&lt;/b&gt;: 15cl (FLAIR-INC: clear cut, mixed, ligneous and other ignored), 19cl, 12cl or baseline13. &lt;b&gt;Bands&lt;/b&gt;: rgbie, rgbi or rgb.
Every epoch the log shows the validation mIoU (FLAIR&apos;s convention), and the output folder gets best.flair.safetensors (use it in &apos;Land cover from aerial imagery&apos;), last.flair.safetensors, a resumable state, a CSV log and a PNG of the curves.
Cancel stops at the next step, keeps a resumable state and ends the algorithm as failed (so a model or batch run does not go on with an unfinished model): run again with the same output folder and &apos;Resume&apos; ticked (and as many epochs as you want in total).
&lt;b&gt;Output folder&lt;/b&gt;: left as a temporary folder, the run gets a folder of its own under &apos;FLAIR trainings&apos; beside the saved project (or in your Documents): QGIS deletes its temporary folder when it exits. &apos;Resume&apos; without a folder continues the last run saved there.</source>
        <translation>Entraîne un U-Net FLAIR sur des données FLAIR de votre disque (le téléchargement FLAIR-1/FLAIR-2, ou vos propres patchs nommés IMG_&amp;lt;id&amp;gt;.tif / MSK_&amp;lt;id&amp;gt;.tif), ou affine un modèle existant (de cette extension, ou un .pth FLAIR-INC).

&lt;b&gt;Jeu de données&lt;/b&gt; : le dossier des patchs, quelle que soit l'arborescence : les fichiers sont trouvés par leur nom, le domaine (D006_2020…) par le nom du dossier. Répartition : les domaines officiels d'entraînement et de validation de FLAIR, sauf si vous listez des domaines (p. ex. D006,D007_2020) ou donnez un CSV de paires image,masque[,split].
&lt;b&gt;Votre territoire&lt;/b&gt; : donnez le pairs.csv de « Exporter des patchs d'entraînement depuis vos annotations » et le modèle à affiner : les pixels qu'aucun polygone ne couvre (valeur de masque 0) sont ignorés, dans la perte et dans les scores de validation.
&lt;b&gt;Classes&lt;/b&gt; : 15cl (FLAIR-INC : coupe, mixte, ligneux et autre ignorés), 19cl, 12cl ou baseline13. &lt;b&gt;Bandes&lt;/b&gt; : rgbie, rgbi ou rgb.
À chaque époque, le journal affiche le mIoU de validation (convention FLAIR), et le dossier de sortie reçoit best.flair.safetensors (à utiliser dans « Segmenter une orthophotographie »), last.flair.safetensors, un état de reprise, un journal CSV et un PNG des courbes.
Annuler arrête à l'itération suivante, garde un état de reprise et termine l'algorithme en échec (pour qu'un modèle de traitement ou un lot ne continue pas avec un modèle inachevé) : relancez avec le même dossier de sortie et « Reprendre » coché (et autant d'époques que vous voulez au total).
&lt;b&gt;Dossier de sortie&lt;/b&gt; : laissé temporaire, l'entraînement reçoit son propre dossier sous « FLAIR trainings » à côté du projet enregistré (ou dans vos Documents) : QGIS supprime son dossier temporaire en quittant. « Reprendre » sans dossier continue le dernier entraînement enregistré là.</translation>
    </message>
</context>
</TS>
